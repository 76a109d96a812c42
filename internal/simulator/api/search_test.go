package api

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func str(s string) *string { return aws.String(s) }

func TestSearchUsersPagesAndFields(t *testing.T) {
	src := newFixture(1203, 3)
	_, c := startServer(t, src, Options{})
	in := &connect.SearchUsersInput{InstanceId: str(testInstance), MaxResults: aws.Int32(500)}
	var got []types.UserSearchSummary
	pages := 0
	for p := connect.NewSearchUsersPaginator(c, in); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if out.ApproximateTotalCount == nil || *out.ApproximateTotalCount != 1203 {
			t.Fatalf("ApproximateTotalCount %v", out.ApproximateTotalCount)
		}
		got = append(got, out.Users...)
	}
	if pages != 3 || len(got) != 1203 {
		t.Fatalf("%d pages, %d users", pages, len(got))
	}
	u, want := got[7], src.users[7]
	if aws.ToString(u.Id) != want.ID || aws.ToString(u.Username) != want.Username || aws.ToString(u.IdentityInfo.FirstName) != want.FirstName ||
		aws.ToString(u.RoutingProfileId) != want.RoutingProfileID || aws.ToString(u.HierarchyGroupId) != want.HierarchyGroupID ||
		u.PhoneConfig.AfterContactWorkTimeLimit != int32(want.AfterContactWorkTimeLimit*1000) {
		t.Fatalf("user %+v, want %+v (ACW limit in ms)", u, want)
	}
}

func TestSearchCriteria(t *testing.T) {
	src := newFixture(10, 7)
	_, c := startServer(t, src, Options{})
	in := str(testInstance)
	users := func(crit *types.UserSearchCriteria) []string {
		t.Helper()
		out, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, SearchCriteria: crit})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, u := range out.Users {
			ids = append(ids, aws.ToString(u.Id))
		}
		return ids
	}
	exact := func(field, v string) *types.StringCondition {
		return &types.StringCondition{FieldName: str(field), Value: str(v), ComparisonType: types.StringComparisonTypeExact}
	}
	for _, tc := range []struct {
		name string
		crit *types.UserSearchCriteria
		want int
	}{
		{"all", nil, 10},
		{"username exact", &types.UserSearchCriteria{StringCondition: exact("username", "agentu-003")}, 1},
		{"firstname starts with", &types.UserSearchCriteria{StringCondition: &types.StringCondition{FieldName: str("firstname"), Value: str("firstu-00"), ComparisonType: types.StringComparisonTypeStartsWith}}, 10},
		{"routing profile", &types.UserSearchCriteria{StringCondition: exact("routingProfileId", "rp-1")}, 3},
		{"or", &types.UserSearchCriteria{OrConditions: []types.UserSearchCriteria{{StringCondition: exact("resourceId", "u-001")}, {StringCondition: exact("resourceId", "u-002")}}}, 2},
		{"and", &types.UserSearchCriteria{AndConditions: []types.UserSearchCriteria{{StringCondition: exact("routingProfileId", "rp-0")}, {StringCondition: exact("agentGroupId", "g-eu-a")}}}, 2},
		{"group exact", &types.UserSearchCriteria{HierarchyGroupCondition: &types.HierarchyGroupCondition{Value: str("g-eu"), HierarchyGroupMatchType: types.HierarchyGroupMatchTypeExact}}, 0},
		{"group with children", &types.UserSearchCriteria{HierarchyGroupCondition: &types.HierarchyGroupCondition{Value: str("g-eu"), HierarchyGroupMatchType: types.HierarchyGroupMatchTypeWithChildGroups}}, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := users(tc.crit); len(got) != tc.want {
				t.Fatalf("%v, want %d users", got, tc.want)
			}
		})
	}
	// STANDARD queues only with the queue type condition; agent queues otherwise too
	for crit, want := range map[*types.QueueSearchCriteria]int{nil: 9, {QueueTypeCondition: types.SearchableQueueTypeStandard}: 7} {
		out, err := c.SearchQueues(ctx(t), &connect.SearchQueuesInput{InstanceId: in, SearchCriteria: crit})
		if err != nil || len(out.Queues) != want {
			t.Fatalf("queues %v: %d, %v", crit, len(out.Queues), err)
		}
	}
	// resources carry no tags: a tag filter matches nothing
	out, err := c.SearchAgentStatuses(ctx(t), &connect.SearchAgentStatusesInput{InstanceId: in,
		SearchFilter: &types.AgentStatusSearchFilter{AttributeFilter: &types.ControlPlaneAttributeFilter{TagCondition: &types.TagCondition{TagKey: str("team"), TagValue: str("a")}}}})
	if err != nil || len(out.AgentStatuses) != 0 {
		t.Fatalf("tag filter: %d, %v", len(out.AgentStatuses), err)
	}
	rp, err := c.SearchRoutingProfiles(ctx(t), &connect.SearchRoutingProfilesInput{InstanceId: in, SearchCriteria: &types.RoutingProfileSearchCriteria{StringCondition: exact("name", "Profile rp-2")}})
	if err != nil || len(rp.RoutingProfiles) != 1 || len(rp.RoutingProfiles[0].AssociatedQueueIds) != 2 || len(rp.RoutingProfiles[0].MediaConcurrencies) != 2 {
		t.Fatalf("routing profile %+v, %v", rp, err)
	}
}

func TestSearchErrors(t *testing.T) {
	_, c := startServer(t, newFixture(3, 3), Options{})
	in := str(testInstance)
	var ipe *types.InvalidParameterException
	var nf *types.ResourceNotFoundException
	var ire *types.InvalidRequestException
	for _, tc := range []struct {
		name   string
		call   func() error
		target any
	}{
		{"MaxResults over 500", func() error {
			_, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(501)})
			return err
		}, &ipe},
		{"MaxResults over 100", func() error {
			_, err := c.SearchUserHierarchyGroups(ctx(t), &connect.SearchUserHierarchyGroupsInput{InstanceId: in, MaxResults: aws.Int32(101)})
			return err
		}, &ipe},
		{"MaxResults 0", func() error {
			_, err := c.SearchAgentStatuses(ctx(t), &connect.SearchAgentStatusesInput{InstanceId: in, MaxResults: aws.Int32(0)})
			return err
		}, &ipe},
		{"bad NextToken", func() error {
			_, err := c.SearchQueues(ctx(t), &connect.SearchQueuesInput{InstanceId: in, NextToken: str("nope")})
			return err
		}, &ipe},
		{"other instance", func() error {
			_, err := c.SearchRoutingProfiles(ctx(t), &connect.SearchRoutingProfilesInput{InstanceId: str("other")})
			return err
		}, &nf},
		{"unknown field", func() error {
			_, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, SearchCriteria: &types.UserSearchCriteria{
				StringCondition: &types.StringCondition{FieldName: str("email"), Value: str("x"), ComparisonType: types.StringComparisonTypeExact}}})
			return err
		}, &ipe},
		{"list condition", func() error {
			_, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, SearchCriteria: &types.UserSearchCriteria{
				ListCondition: &types.ListCondition{TargetListType: types.TargetListTypeProficiencies}}})
			return err
		}, &ire},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil || !errors.As(err, tc.target) {
				t.Fatalf("err %v, want %T", err, tc.target)
			}
		})
	}
}

// TestSearchNextTokenBindsTheRequest: a NextToken is only good for the
// operation and criteria it came from.
func TestSearchNextTokenBindsTheRequest(t *testing.T) {
	_, c := startServer(t, newFixture(5, 3), Options{})
	in := str(testInstance)
	first, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(2)})
	if err != nil || first.NextToken == nil {
		t.Fatalf("%v, %v", first, err)
	}
	var ipe *types.InvalidParameterException
	_, err = c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(2), NextToken: first.NextToken,
		SearchCriteria: &types.UserSearchCriteria{StringCondition: &types.StringCondition{FieldName: str("username"), Value: str("a"), ComparisonType: types.StringComparisonTypeContains}}})
	if !errors.As(err, &ipe) {
		t.Fatalf("token with other criteria: %v", err)
	}
	if _, err = c.SearchQueues(ctx(t), &connect.SearchQueuesInput{InstanceId: in, NextToken: first.NextToken}); !errors.As(err, &ipe) {
		t.Fatalf("token of another operation: %v", err)
	}
	next, err := c.SearchUsers(ctx(t), &connect.SearchUsersInput{InstanceId: in, MaxResults: aws.Int32(2), NextToken: first.NextToken})
	if err != nil || len(next.Users) != 2 || aws.ToString(next.Users[0].Id) != "u-002" {
		t.Fatalf("second page %+v, %v", next, err)
	}
}
