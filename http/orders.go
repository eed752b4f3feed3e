package http

func (s *Server) orderRoutes() {}
