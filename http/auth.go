package http

func (s *Server) authRoutes() {}
