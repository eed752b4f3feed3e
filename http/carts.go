package http

func (s *Server) cartRoutes() {}
