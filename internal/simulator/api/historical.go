package api

func (s *Server) getMetricData(q *request) (any, *apiError) {
	return nil, invalidRequest("not implemented yet")
}

func (s *Server) getMetricDataV2(q *request) (any, *apiError) {
	return nil, invalidRequest("not implemented yet")
}
