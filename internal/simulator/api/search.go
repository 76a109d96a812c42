package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// The Search* operations (SearchUsers, SearchQueues, SearchRoutingProfiles,
// SearchUserHierarchyGroups, SearchAgentStatuses): POST with a JSON body of
// InstanceId, MaxResults, NextToken, SearchCriteria and SearchFilter;
// results in id order, paged like every other operation.

type stringCondition struct {
	FieldName      string `json:"FieldName,omitempty"`
	Value          string `json:"Value,omitempty"`
	ComparisonType string `json:"ComparisonType,omitempty"`
}

type hierarchyGroupCondition struct {
	Value                   string `json:"Value,omitempty"`
	HierarchyGroupMatchType string `json:"HierarchyGroupMatchType,omitempty"`
}

// searchCriteria is the union of the five operations' criteria shapes;
// validate rejects the members an operation does not have.
type searchCriteria struct {
	OrConditions            []searchCriteria         `json:"OrConditions,omitempty"`
	AndConditions           []searchCriteria         `json:"AndConditions,omitempty"`
	StringCondition         *stringCondition         `json:"StringCondition,omitempty"`
	QueueTypeCondition      string                   `json:"QueueTypeCondition,omitempty"`
	HierarchyGroupCondition *hierarchyGroupCondition `json:"HierarchyGroupCondition,omitempty"`
	ListCondition           json.RawMessage          `json:"ListCondition,omitempty"`
}

type searchRequest struct {
	InstanceId     string          `json:"InstanceId"`
	NextToken      *string         `json:"NextToken,omitempty"`
	MaxResults     *int            `json:"MaxResults,omitempty"`
	SearchFilter   json.RawMessage `json:"SearchFilter,omitempty"`
	SearchCriteria *searchCriteria `json:"SearchCriteria,omitempty"`
}

// searchSpec is what differs between the Search* operations.
type searchSpec struct {
	op     string
	max    int      // the model's MaxResults maximum: 500 or 100
	fields []string // searchable StringCondition field names (lower case)
	queue  bool     // QueueTypeCondition allowed
	user   bool     // HierarchyGroupCondition allowed
	member string   // the response member holding the resources (Users, Queues, …)
}

// fieldsOf returns the values of one resource's searchable fields: the
// StringCondition field names in lower case, "queuetype", and
// "hierarchypath" (the group ids from Level1 down to the user's group).
type fieldsOf func(field string) []string

func (c *searchCriteria) validate(sp searchSpec) *apiError {
	if c == nil {
		return nil
	}
	for _, sub := range append(slices.Clone(c.OrConditions), c.AndConditions...) {
		if e := sub.validate(sp); e != nil {
			return e
		}
	}
	if sc := c.StringCondition; sc != nil {
		if !slices.Contains(sp.fields, strings.ToLower(sc.FieldName)) {
			return invalidParam("Invalid FieldName %q for %s; supported: %s", sc.FieldName, sp.op, strings.Join(sp.fields, ", "))
		}
		if ct := sc.ComparisonType; ct != "" && ct != "STARTS_WITH" && ct != "CONTAINS" && ct != "EXACT" {
			return constraintError(ct, "searchCriteria.stringCondition.comparisonType", "Member must satisfy enum value set: [STARTS_WITH, CONTAINS, EXACT]")
		}
	}
	if c.QueueTypeCondition != "" && (!sp.queue || c.QueueTypeCondition != "STANDARD") {
		return constraintError(c.QueueTypeCondition, "searchCriteria.queueTypeCondition", "Member must satisfy enum value set: [STANDARD]")
	}
	if hc := c.HierarchyGroupCondition; hc != nil {
		if !sp.user {
			return invalidParam("HierarchyGroupCondition is not supported by %s", sp.op)
		}
		if mt := hc.HierarchyGroupMatchType; mt != "" && mt != "EXACT" && mt != "WITH_CHILD_GROUPS" {
			return constraintError(mt, "searchCriteria.hierarchyGroupCondition.hierarchyGroupMatchType", "Member must satisfy enum value set: [EXACT, WITH_CHILD_GROUPS]")
		}
	}
	if len(c.ListCondition) > 0 {
		return invalidRequest("ListCondition is not supported by the simulated API")
	}
	return nil
}

func (c *searchCriteria) match(f fieldsOf) bool {
	if c == nil {
		return true
	}
	for i := range c.AndConditions {
		if !c.AndConditions[i].match(f) {
			return false
		}
	}
	if len(c.OrConditions) > 0 && !slices.ContainsFunc(c.OrConditions, func(o searchCriteria) bool { return o.match(f) }) {
		return false
	}
	if sc := c.StringCondition; sc != nil && !slices.ContainsFunc(f(strings.ToLower(sc.FieldName)), sc.matches) {
		return false
	}
	if c.QueueTypeCondition != "" && !slices.Contains(f("queuetype"), c.QueueTypeCondition) {
		return false
	}
	if hc := c.HierarchyGroupCondition; hc != nil {
		path := f("hierarchypath")
		if hc.HierarchyGroupMatchType == "WITH_CHILD_GROUPS" {
			return slices.Contains(path, hc.Value)
		}
		return len(path) > 0 && path[len(path)-1] == hc.Value
	}
	return true
}

func (sc *stringCondition) matches(v string) bool {
	switch sc.ComparisonType {
	case "STARTS_WITH":
		return strings.HasPrefix(strings.ToLower(v), strings.ToLower(sc.Value))
	case "CONTAINS":
		return strings.Contains(strings.ToLower(v), strings.ToLower(sc.Value))
	}
	return v == sc.Value
}

// hasFilter reports whether a SearchFilter holds any condition. The
// simulated resources carry no tags, so a tag or attribute filter matches
// nothing.
func hasFilter(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null")) && !bytes.Equal(raw, []byte("{}"))
}

// search answers one Search* request: it validates the request, keeps the
// resources of list that match, sorted by id, and returns one page of their
// wire shapes with the total count (a pageResponse).
func search[T, W any](s *Server, q *request, sp searchSpec, list func() []T, id func(T) string, fields func(T) fieldsOf, wire func(T) W) (any, *apiError) {
	var req searchRequest
	if e := decodeBody(q.body, &req); e != nil {
		return nil, e
	}
	if e := s.checkInstance(req.InstanceId); e != nil {
		return nil, e
	}
	if e := req.SearchCriteria.validate(sp); e != nil {
		return nil, e
	}
	p := pageSpec{op: sp.op, hash: bodyHash(q.body), maxResults: req.MaxResults, max: sp.max, def: 100, member: "maxResults"}
	if req.NextToken != nil {
		if len(*req.NextToken) < 1 || len(*req.NextToken) > 2500 {
			return nil, constraintError(*req.NextToken, "nextToken", "Member must have length between 1 and 2500")
		}
		p.token = *req.NextToken
	}
	pg, e := paginate(s, p, func() ([]W, time.Time, *apiError) {
		out := []W{}
		if hasFilter(req.SearchFilter) {
			return out, time.Time{}, nil
		}
		for _, v := range sortedBy(list(), id) {
			if req.SearchCriteria.match(fields(v)) {
				out = append(out, wire(v))
			}
		}
		return out, time.Time{}, nil
	})
	if e != nil {
		return nil, e
	}
	return pageResponse[W]{member: sp.member, page: pg, total: true}, nil
}

// nameFields are the searchable fields of queues, routing profiles,
// hierarchy groups and agent statuses.
var nameFields = []string{"name", "description", "resourceid"}

func named(id, name, desc string, more map[string][]string) fieldsOf {
	return func(field string) []string {
		switch field {
		case "name":
			return []string{name}
		case "description":
			return []string{desc}
		case "resourceid":
			return []string{id}
		}
		return more[field]
	}
}

// ---- SearchUsers ----

type userIdentityInfoLite struct {
	FirstName string `json:"FirstName,omitempty"`
	LastName  string `json:"LastName,omitempty"`
}

type userSearchSummary struct {
	Arn                string                `json:"Arn"`
	HierarchyGroupId   string                `json:"HierarchyGroupId,omitempty"`
	Id                 string                `json:"Id"`
	IdentityInfo       *userIdentityInfoLite `json:"IdentityInfo,omitempty"`
	PhoneConfig        *userPhoneConfig      `json:"PhoneConfig,omitempty"`
	RoutingProfileId   string                `json:"RoutingProfileId,omitempty"`
	SecurityProfileIds []string              `json:"SecurityProfileIds,omitempty"`
	Username           string                `json:"Username"`
}

func (s *Server) searchUsers(q *request) (any, *apiError) {
	sp := searchSpec{op: OpSearchUsers, member: "Users", max: 500, user: true, fields: []string{
		"username", "firstname", "lastname", "resourceid", "routingprofileid", "securityprofileid", "agentgroupid", "agentgrouppathids"}}
	paths := map[string][]string{}
	for _, g := range s.src.HierarchyGroups() {
		paths[g.ID] = g.Path
	}
	return search(s, q, sp, s.src.Users, func(u connectreporting.User) string { return u.ID },
		func(u connectreporting.User) fieldsOf {
			path := paths[u.HierarchyGroupID]
			if len(path) == 0 && u.HierarchyGroupID != "" {
				path = []string{u.HierarchyGroupID}
			}
			return func(field string) []string {
				return map[string][]string{"username": {u.Username}, "firstname": {u.FirstName}, "lastname": {u.LastName},
					"resourceid": {u.ID}, "routingprofileid": {u.RoutingProfileID}, "securityprofileid": u.SecurityProfileIDs,
					"agentgroupid": {u.HierarchyGroupID}, "agentgrouppathids": path, "hierarchypath": path}[field]
			}
		}, s.userSearchSummary)
}

// userSearchSummary is a user as SearchUsers returns it: no email, and the
// after-contact-work limit in milliseconds (the service's documented quirk).
func (s *Server) userSearchSummary(u connectreporting.User) userSearchSummary {
	pc := s.phoneConfig(u)
	pc.AfterContactWorkTimeLimit *= 1000
	out := userSearchSummary{Arn: s.arn(u.ARN, "agent", u.ID), HierarchyGroupId: u.HierarchyGroupID, Id: u.ID, PhoneConfig: &pc,
		RoutingProfileId: u.RoutingProfileID, SecurityProfileIds: u.SecurityProfileIDs, Username: u.Username}
	if u.FirstName != "" || u.LastName != "" {
		out.IdentityInfo = &userIdentityInfoLite{FirstName: u.FirstName, LastName: u.LastName}
	}
	return out
}

// ---- SearchQueues ----

func (s *Server) searchQueues(q *request) (any, *apiError) {
	sp := searchSpec{op: OpSearchQueues, member: "Queues", max: 500, queue: true, fields: nameFields}
	return search(s, q, sp, s.src.Queues, func(qu connectreporting.Queue) string { return qu.ID },
		func(qu connectreporting.Queue) fieldsOf {
			return named(qu.ID, qu.Name, qu.Description, map[string][]string{"queuetype": {queueType(qu)}})
		}, s.queueDetail)
}

// ---- SearchRoutingProfiles ----

type mediaConcurrency struct {
	Channel     string `json:"Channel"`
	Concurrency int    `json:"Concurrency"`
}

type routingProfileDetail struct {
	InstanceId               string             `json:"InstanceId"`
	Name                     string             `json:"Name"`
	RoutingProfileArn        string             `json:"RoutingProfileArn"`
	RoutingProfileId         string             `json:"RoutingProfileId"`
	Description              string             `json:"Description,omitempty"`
	MediaConcurrencies       []mediaConcurrency `json:"MediaConcurrencies,omitempty"`
	DefaultOutboundQueueId   string             `json:"DefaultOutboundQueueId,omitempty"`
	NumberOfAssociatedQueues int64              `json:"NumberOfAssociatedQueues"`
	AssociatedQueueIds       []string           `json:"AssociatedQueueIds,omitempty"`
	modified
}

func (s *Server) searchRoutingProfiles(q *request) (any, *apiError) {
	sp := searchSpec{op: OpSearchRoutingProfiles, member: "RoutingProfiles", max: 500, fields: nameFields}
	queues := map[string][]string{}
	for _, rq := range s.src.RoutingProfileQueues() {
		if !slices.Contains(queues[rq.RoutingProfileID], rq.QueueID) {
			queues[rq.RoutingProfileID] = append(queues[rq.RoutingProfileID], rq.QueueID)
		}
	}
	return search(s, q, sp, s.src.RoutingProfiles, func(r connectreporting.RoutingProfile) string { return r.ID },
		func(r connectreporting.RoutingProfile) fieldsOf { return named(r.ID, r.Name, r.Description, nil) },
		func(r connectreporting.RoutingProfile) routingProfileDetail {
			ids := slices.Sorted(slices.Values(queues[r.ID]))
			out := routingProfileDetail{InstanceId: s.src.InstanceID(), Name: r.Name, RoutingProfileArn: s.arn(r.ARN, "routing-profile", r.ID),
				RoutingProfileId: r.ID, Description: r.Description, DefaultOutboundQueueId: r.DefaultOutboundQueueID,
				NumberOfAssociatedQueues: int64(len(ids)), AssociatedQueueIds: ids, modified: s.modified(r.LastModified)}
			for _, ch := range sortedKeys(r.Concurrency) {
				out.MediaConcurrencies = append(out.MediaConcurrencies, mediaConcurrency{Channel: ch, Concurrency: r.Concurrency[ch]})
			}
			return out
		})
}

// ---- SearchUserHierarchyGroups ----

func (s *Server) searchUserHierarchyGroups(q *request) (any, *apiError) {
	sp := searchSpec{op: OpSearchUserHierarchyGroups, member: "UserHierarchyGroups", max: 100, fields: nameFields}
	groups := s.src.HierarchyGroups()
	byID := make(map[string]connectreporting.HierarchyGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	return search(s, q, sp, func() []connectreporting.HierarchyGroup { return groups },
		func(g connectreporting.HierarchyGroup) string { return g.ID },
		func(g connectreporting.HierarchyGroup) fieldsOf { return named(g.ID, g.Name, "", nil) },
		func(g connectreporting.HierarchyGroup) hierarchyGroupDetail { return s.groupDetail(g, byID) })
}

// ---- SearchAgentStatuses ----

type agentStatusDetail struct {
	AgentStatusARN string `json:"AgentStatusARN"`
	AgentStatusId  string `json:"AgentStatusId"`
	Name           string `json:"Name"`
	Type           string `json:"Type"`
	DisplayOrder   *int   `json:"DisplayOrder,omitempty"`
	State          string `json:"State"`
	modified
}

func (s *Server) searchAgentStatuses(q *request) (any, *apiError) {
	sp := searchSpec{op: OpSearchAgentStatuses, member: "AgentStatuses", max: 100, fields: nameFields}
	return search(s, q, sp, s.src.AgentStatuses, func(a connectreporting.AgentStatus) string { return a.ID },
		func(a connectreporting.AgentStatus) fieldsOf { return named(a.ID, a.Name, "", nil) },
		func(a connectreporting.AgentStatus) agentStatusDetail {
			out := agentStatusDetail{AgentStatusARN: s.arn(a.ARN, "agent-state", a.ID), AgentStatusId: a.ID, Name: a.Name, Type: a.Type,
				State: a.State, modified: s.modified(a.LastModified)}
			if out.State == "" {
				out.State = "ENABLED"
			}
			if a.DisplayOrder > 0 {
				out.DisplayOrder = ptr(a.DisplayOrder)
			}
			return out
		})
}
