package http

func (s *Server) catalogRoutes() {}
