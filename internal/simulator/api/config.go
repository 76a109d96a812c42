package api

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

func itoa(n int) string { return strconv.Itoa(n) }

// listSpec reads the paging query parameters of a List* operation.
func listSpec(q *request, op string, max int) (pageSpec, *apiError) {
	v := q.r.URL.Query()
	p := pageSpec{op: op, hash: queryHash(q.r.URL.Path, v), token: v.Get("nextToken"), max: max, def: 100, member: "maxResults"}
	if s := v.Get("maxResults"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return p, invalidParam("maxResults must be an integer, got %q", s)
		}
		p.maxResults = &n
	}
	return p, nil
}

// listOp is a List* operation: its name, the model's MaxResults maximum,
// the response member that holds the resources, and whether the response
// carries LastModifiedRegion (ListRoutingProfileQueues).
type listOp struct {
	op     string
	max    int
	member string
	region bool
}

// list answers a List* request: it checks the instance, then checks (the
// operation's own parameters, in order), then the paging parameters, and
// returns one page of what resources makes.
func list[W any](s *Server, q *request, op listOp, resources func() []W, checks ...*apiError) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	for _, e := range checks {
		if e != nil {
			return nil, e
		}
	}
	p, e := listSpec(q, op.op, op.max)
	if e != nil {
		return nil, e
	}
	pg, e := paginate(s, p, func() ([]W, time.Time, *apiError) { return resources(), time.Time{}, nil })
	if e != nil {
		return nil, e
	}
	r := pageResponse[W]{member: op.member, page: pg}
	if region := s.region(); op.region && region != "" {
		r.extra = map[string]any{"LastModifiedRegion": region}
	}
	return r, nil
}

// enumValues checks a repeated query parameter against an enum.
func enumValues(vals []string, member string, max int, allowed ...string) *apiError {
	if len(vals) > max {
		return constraintError(vals, member, "Member must have length less than or equal to "+itoa(max))
	}
	for _, v := range vals {
		if !slices.Contains(allowed, v) {
			return constraintError(v, member, "Member must satisfy enum value set: "+enumSet(allowed))
		}
	}
	return nil
}

func enumSet(vals []string) string {
	s := "["
	for i, v := range vals {
		if i > 0 {
			s += ", "
		}
		s += v
	}
	return s + "]"
}

// mapSorted is the wire shape of every item of in, in key order.
func mapSorted[T, W any](in []T, key func(T) string, wire func(T) W) []W {
	out := make([]W, 0, len(in))
	for _, v := range sortedBy(in, key) {
		out = append(out, wire(v))
	}
	return out
}

func sortedBy[T any](in []T, key func(T) string) []T {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b T) int { return cmp.Compare(key(a), key(b)) })
	return out
}

func (s *Server) listUsers(q *request) (any, *apiError) {
	return list(s, q, listOp{op: OpListUsers, max: 1000, member: "UserSummaryList"}, func() []userSummary {
		return mapSorted(s.src.Users(), func(u connectreporting.User) string { return u.ID }, func(u connectreporting.User) userSummary {
			return userSummary{Id: u.ID, Arn: s.arn(u.ARN, "agent", u.ID), Username: u.Username, modified: s.modified(u.LastModified)}
		})
	})
}

func (s *Server) describeUser(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	id := q.path("UserId")
	u, ok := s.findUser(id)
	if !ok {
		return nil, notFound("User not found for userId: %s", id)
	}
	return describeUserResponse{User: userDetail{
		Id:                 u.ID,
		Arn:                s.arn(u.ARN, "agent", u.ID),
		Username:           u.Username,
		IdentityInfo:       userIdentityInfo{FirstName: u.FirstName, LastName: u.LastName, Email: u.Email},
		PhoneConfig:        s.phoneConfig(u),
		SecurityProfileIds: u.SecurityProfileIDs,
		RoutingProfileId:   u.RoutingProfileID,
		HierarchyGroupId:   u.HierarchyGroupID,
		modified:           s.modified(u.LastModified),
	}}, nil
}

// findUser finds one user of the source (through UserFinder when it has it).
func (s *Server) findUser(id string) (connectreporting.User, bool) {
	if f, ok := s.src.(UserFinder); ok {
		return f.User(id)
	}
	for _, u := range s.src.Users() {
		if u.ID == id {
			return u, true
		}
	}
	return connectreporting.User{}, false
}

func (s *Server) phoneConfig(u connectreporting.User) userPhoneConfig {
	phone := u.PhoneType
	if phone == "" {
		phone = "SOFT_PHONE"
	}
	return userPhoneConfig{PhoneType: phone, AutoAccept: u.AutoAccept, AfterContactWorkTimeLimit: u.AfterContactWorkTimeLimit}
}

func (s *Server) listUserHierarchyGroups(q *request) (any, *apiError) {
	return list(s, q, listOp{op: OpListUserHierarchyGroups, max: 1000, member: "UserHierarchyGroupSummaryList"}, func() []hierarchyGroupSummary {
		return mapSorted(s.src.HierarchyGroups(), func(g connectreporting.HierarchyGroup) string { return g.ID }, s.groupSummary)
	})
}

func (s *Server) groupSummary(g connectreporting.HierarchyGroup) hierarchyGroupSummary {
	return hierarchyGroupSummary{Id: g.ID, Arn: s.arn(g.ARN, "agent-group", g.ID), Name: g.Name, modified: s.modified(g.LastModified)}
}

func (s *Server) describeUserHierarchyGroup(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	id := q.path("HierarchyGroupId")
	groups := s.src.HierarchyGroups()
	byID := make(map[string]connectreporting.HierarchyGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	g, ok := byID[id]
	if !ok {
		return nil, notFound("HierarchyGroup not found for hierarchyGroupId: %s", id)
	}
	return describeUserHierarchyGroupResponse{HierarchyGroup: s.groupDetail(g, byID)}, nil
}

// groupDetail is a hierarchy group with its path, as DescribeUserHierarchyGroup
// and SearchUserHierarchyGroups return it; byID holds every group.
func (s *Server) groupDetail(g connectreporting.HierarchyGroup, byID map[string]connectreporting.HierarchyGroup) hierarchyGroupDetail {
	var path hierarchyPath
	for i, pid := range g.Path {
		pg, ok := byID[pid]
		if !ok {
			pg = connectreporting.HierarchyGroup{ID: pid}
		}
		sum := s.groupSummary(pg)
		path.set(i, &sum)
	}
	return hierarchyGroupDetail{
		Id:            g.ID,
		Arn:           s.arn(g.ARN, "agent-group", g.ID),
		Name:          g.Name,
		LevelId:       g.LevelID,
		HierarchyPath: path,
		modified:      s.modified(g.LastModified),
	}
}

func (s *Server) describeUserHierarchyStructure(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	var st hierarchyStructure
	for _, l := range s.src.HierarchyLevels() {
		st.set(l.Level-1, &hierarchyLevel{Id: l.ID, Arn: s.arn(l.ARN, "agent-group-level", l.ID), Name: l.Name, modified: s.modified(time.Time{})})
	}
	return describeUserHierarchyStructureResponse{HierarchyStructure: st}, nil
}

func (s *Server) listRoutingProfiles(q *request) (any, *apiError) {
	return list(s, q, listOp{op: OpListRoutingProfiles, max: 1000, member: "RoutingProfileSummaryList"}, func() []routingProfileSummary {
		return mapSorted(s.src.RoutingProfiles(), func(r connectreporting.RoutingProfile) string { return r.ID }, func(r connectreporting.RoutingProfile) routingProfileSummary {
			return routingProfileSummary{Id: r.ID, Arn: s.arn(r.ARN, "routing-profile", r.ID), Name: r.Name, modified: s.modified(r.LastModified)}
		})
	})
}

func (s *Server) listRoutingProfileQueues(q *request) (any, *apiError) {
	rpID := q.path("RoutingProfileId")
	var missing *apiError
	if !slices.ContainsFunc(s.src.RoutingProfiles(), func(r connectreporting.RoutingProfile) bool { return r.ID == rpID }) {
		missing = notFound("RoutingProfile not found for routingProfileId: %s", rpID)
	}
	op := listOp{op: OpListRoutingProfileQueues, max: 100, member: "RoutingProfileQueueConfigSummaryList", region: true}
	return list(s, q, op, func() []routingProfileQueueConfigSummary {
		queues := s.queuesByID()
		var out []routingProfileQueueConfigSummary
		for _, rq := range s.src.RoutingProfileQueues() {
			if rq.RoutingProfileID != rpID {
				continue
			}
			qu := queues[rq.QueueID]
			out = append(out, routingProfileQueueConfigSummary{
				QueueId: rq.QueueID, QueueArn: s.arn(qu.ARN, "queue", rq.QueueID), QueueName: qu.Name,
				Priority: rq.Priority, Delay: rq.Delay, Channel: connectreporting.NormalizeChannel(rq.Channel),
			})
		}
		slices.SortStableFunc(out, func(a, b routingProfileQueueConfigSummary) int {
			return cmp.Or(cmp.Compare(a.QueueId, b.QueueId), cmp.Compare(channelRank(a.Channel), channelRank(b.Channel)))
		})
		return out
	}, missing)
}

func (s *Server) queuesByID() map[string]connectreporting.Queue {
	qs := s.src.Queues()
	m := make(map[string]connectreporting.Queue, len(qs))
	for _, q := range qs {
		m[q.ID] = q
	}
	return m
}

func (s *Server) listQueues(q *request) (any, *apiError) {
	types := q.r.URL.Query()["queueTypes"]
	return list(s, q, listOp{op: OpListQueues, max: 1000, member: "QueueSummaryList"}, func() []queueSummary {
		qs := sortedBy(s.src.Queues(), func(q connectreporting.Queue) string { return q.ID })
		out := make([]queueSummary, 0, len(qs))
		for _, qu := range qs {
			typ := queueType(qu)
			if len(types) > 0 && !slices.Contains(types, typ) {
				continue
			}
			name := qu.Name
			if typ == "AGENT" {
				name = "" // agent queues have no name in ListQueues
			}
			out = append(out, queueSummary{Id: qu.ID, Arn: s.arn(qu.ARN, "queue", qu.ID), Name: name, QueueType: typ, modified: s.modified(qu.LastModified)})
		}
		return out
	}, enumValues(types, "queueTypes", 2, "STANDARD", "AGENT"))
}

func queueType(q connectreporting.Queue) string {
	if q.Type == "" {
		return "STANDARD"
	}
	return q.Type
}

func (s *Server) describeQueue(q *request) (any, *apiError) {
	if e := s.checkInstance(q.path("InstanceId")); e != nil {
		return nil, e
	}
	id := q.path("QueueId")
	qu, ok := s.queuesByID()[id]
	if !ok {
		return nil, notFound("Queue not found for queueId: %s", id)
	}
	return describeQueueResponse{Queue: s.queueDetail(qu)}, nil
}

// queueDetail is a queue as DescribeQueue and SearchQueues return it.
func (s *Server) queueDetail(qu connectreporting.Queue) queueDetail {
	status := qu.Status
	if status == "" {
		status = "ENABLED"
	}
	return queueDetail{
		Name: qu.Name, QueueArn: s.arn(qu.ARN, "queue", qu.ID), QueueId: qu.ID, Description: qu.Description,
		HoursOfOperationId: qu.HoursOfOperationID, MaxContacts: qu.MaxContacts, Status: status,
		modified: s.modified(qu.LastModified),
	}
}

func (s *Server) listAgentStatuses(q *request) (any, *apiError) {
	types := q.r.URL.Query()["AgentStatusTypes"]
	return list(s, q, listOp{op: OpListAgentStatuses, max: 1000, member: "AgentStatusSummaryList"}, func() []agentStatusSummary {
		sts := slices.Clone(s.src.AgentStatuses())
		slices.SortStableFunc(sts, func(a, b connectreporting.AgentStatus) int {
			return cmp.Or(cmp.Compare(a.DisplayOrder, b.DisplayOrder), cmp.Compare(a.ID, b.ID))
		})
		out := make([]agentStatusSummary, 0, len(sts))
		for _, st := range sts {
			if len(types) > 0 && !slices.Contains(types, st.Type) {
				continue
			}
			out = append(out, agentStatusSummary{Id: st.ID, Arn: s.arn(st.ARN, "agent-state", st.ID), Name: st.Name, Type: st.Type, modified: s.modified(st.LastModified)})
		}
		return out
	}, enumValues(types, "agentStatusTypes", 3, "ROUTABLE", "CUSTOM", "OFFLINE"))
}

// channelRank orders channels as Connect lists them.
func channelRank(ch string) int {
	switch ch {
	case "VOICE":
		return 0
	case "CHAT":
		return 1
	case "TASK":
		return 2
	case "EMAIL":
		return 3
	}
	return 4
}
