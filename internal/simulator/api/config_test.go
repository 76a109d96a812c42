package api

import (
	"errors"
	"sort"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"
)

func TestListOperationsPaginate(t *testing.T) {
	src := newFixture(250, 150)
	srv, c := startServer(t, src, Options{})

	type lister struct {
		name     string
		op       string
		list     func(max *int32) (n int, ids []string, err error)
		wantN    int
		wantReqs int64 // with the default page size of 100
	}
	cases := []lister{
		{"users", OpListUsers, func(max *int32) (int, []string, error) {
			p := connect.NewListUsersPaginator(c, &connect.ListUsersInput{InstanceId: aws.String(testInstance), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, u := range out.UserSummaryList {
					ids = append(ids, *u.Id)
					if *u.Arn != arnOf("agent", *u.Id) || *u.Username != "agent"+*u.Id {
						t.Errorf("user summary %+v", u)
					}
				}
			}
			return len(ids), ids, nil
		}, 250, 3},
		{"queues", OpListQueues, func(max *int32) (int, []string, error) {
			p := connect.NewListQueuesPaginator(c, &connect.ListQueuesInput{InstanceId: aws.String(testInstance), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, q := range out.QueueSummaryList {
					ids = append(ids, *q.Id)
				}
			}
			return len(ids), ids, nil
		}, 152, 2},
		{"standard queues", OpListQueues, func(max *int32) (int, []string, error) {
			p := connect.NewListQueuesPaginator(c, &connect.ListQueuesInput{InstanceId: aws.String(testInstance), MaxResults: max,
				QueueTypes: []types.QueueType{types.QueueTypeStandard}})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, q := range out.QueueSummaryList {
					if q.QueueType != types.QueueTypeStandard || q.Name == nil {
						t.Errorf("queue %+v", q)
					}
					ids = append(ids, *q.Id)
				}
			}
			return len(ids), ids, nil
		}, 150, 2},
		{"routing profiles", OpListRoutingProfiles, func(max *int32) (int, []string, error) {
			p := connect.NewListRoutingProfilesPaginator(c, &connect.ListRoutingProfilesInput{InstanceId: aws.String(testInstance), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, r := range out.RoutingProfileSummaryList {
					ids = append(ids, *r.Id)
				}
			}
			return len(ids), ids, nil
		}, 3, 1},
		{"routing profile queues", OpListRoutingProfileQueues, func(max *int32) (int, []string, error) {
			p := connect.NewListRoutingProfileQueuesPaginator(c, &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(testInstance),
				RoutingProfileId: aws.String("rp-0"), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, q := range out.RoutingProfileQueueConfigSummaryList {
					if *q.QueueName != "Queue "+*q.QueueId || *q.Priority < 1 || q.Delay < 0 {
						t.Errorf("config %+v", q)
					}
					ids = append(ids, *q.QueueId+"/"+string(q.Channel))
				}
			}
			return len(ids), ids, nil
		}, 100, 1}, // 50 queues x 2 channels
		{"hierarchy groups", OpListUserHierarchyGroups, func(max *int32) (int, []string, error) {
			p := connect.NewListUserHierarchyGroupsPaginator(c, &connect.ListUserHierarchyGroupsInput{InstanceId: aws.String(testInstance), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, g := range out.UserHierarchyGroupSummaryList {
					ids = append(ids, *g.Id)
				}
			}
			return len(ids), ids, nil
		}, 3, 1},
		{"agent statuses", OpListAgentStatuses, func(max *int32) (int, []string, error) {
			p := connect.NewListAgentStatusesPaginator(c, &connect.ListAgentStatusesInput{InstanceId: aws.String(testInstance), MaxResults: max})
			var ids []string
			for p.HasMorePages() {
				out, err := p.NextPage(ctx(t))
				if err != nil {
					return 0, nil, err
				}
				for _, s := range out.AgentStatusSummaryList {
					ids = append(ids, *s.Id)
				}
			}
			return len(ids), ids, nil
		}, 4, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests(tc.op)
			n, ids, err := tc.list(nil)
			if err != nil {
				t.Fatal(err)
			}
			if n != tc.wantN {
				t.Fatalf("got %d items, want %d", n, tc.wantN)
			}
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] {
					t.Fatalf("duplicate %s across pages", id)
				}
				seen[id] = true
			}
			if got := srv.Requests(tc.op) - before; got != tc.wantReqs {
				t.Errorf("%d requests, want %d", got, tc.wantReqs)
			}
			// small pages give the same items
			n7, ids7, err := tc.list(aws.Int32(7))
			if err != nil {
				t.Fatal(err)
			}
			sort.Strings(ids)
			sort.Strings(ids7)
			if n7 != n || len(ids7) != len(ids) {
				t.Fatalf("page size 7: %d items, want %d", n7, n)
			}
			for i := range ids {
				if ids[i] != ids7[i] {
					t.Fatalf("page size 7 differs at %d: %s vs %s", i, ids7[i], ids[i])
				}
			}
		})
	}
}

func TestListAgentStatusesTypes(t *testing.T) {
	_, c := startServer(t, newFixture(3, 3), Options{})
	out, err := c.ListAgentStatuses(ctx(t), &connect.ListAgentStatusesInput{InstanceId: aws.String(testInstance),
		AgentStatusTypes: []types.AgentStatusType{types.AgentStatusTypeCustom}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AgentStatusSummaryList) != 2 {
		t.Fatalf("got %d custom statuses", len(out.AgentStatusSummaryList))
	}
	for _, s := range out.AgentStatusSummaryList {
		if s.Type != types.AgentStatusTypeCustom {
			t.Errorf("%+v", s)
		}
	}
}

func TestDescribeOperations(t *testing.T) {
	_, c := startServer(t, newFixture(5, 5), Options{})

	u, err := c.DescribeUser(ctx(t), &connect.DescribeUserInput{InstanceId: aws.String(testInstance), UserId: aws.String("u-003")})
	if err != nil {
		t.Fatal(err)
	}
	if *u.User.Id != "u-003" || *u.User.IdentityInfo.FirstName != "Firstu-003" || *u.User.IdentityInfo.Email != "u-003@example.com" ||
		u.User.PhoneConfig.PhoneType != types.PhoneTypeSoftPhone || *u.User.RoutingProfileId != "rp-0" ||
		*u.User.HierarchyGroupId != "g-eu-b" || len(u.User.SecurityProfileIds) != 1 || u.User.PhoneConfig.AfterContactWorkTimeLimit != 30 {
		t.Errorf("DescribeUser: %+v", u.User)
	}

	q, err := c.DescribeQueue(ctx(t), &connect.DescribeQueueInput{InstanceId: aws.String(testInstance), QueueId: aws.String("q-002")})
	if err != nil {
		t.Fatal(err)
	}
	if *q.Queue.QueueId != "q-002" || *q.Queue.Name != "Queue q-002" || q.Queue.Status != types.QueueStatusEnabled ||
		*q.Queue.MaxContacts != 12 || *q.Queue.HoursOfOperationId != "hoo-1" || *q.Queue.QueueArn != arnOf("queue", "q-002") {
		t.Errorf("DescribeQueue: %+v", q.Queue)
	}

	g, err := c.DescribeUserHierarchyGroup(ctx(t), &connect.DescribeUserHierarchyGroupInput{InstanceId: aws.String(testInstance), HierarchyGroupId: aws.String("g-eu-a")})
	if err != nil {
		t.Fatal(err)
	}
	p := g.HierarchyGroup.HierarchyPath
	if *g.HierarchyGroup.LevelId != "2" || p.LevelOne == nil || *p.LevelOne.Id != "g-eu" || *p.LevelOne.Name != "Europe" ||
		p.LevelTwo == nil || *p.LevelTwo.Id != "g-eu-a" || p.LevelThree != nil {
		t.Errorf("DescribeUserHierarchyGroup: %+v", g.HierarchyGroup)
	}

	st, err := c.DescribeUserHierarchyStructure(ctx(t), &connect.DescribeUserHierarchyStructureInput{InstanceId: aws.String(testInstance)})
	if err != nil {
		t.Fatal(err)
	}
	hs := st.HierarchyStructure
	if hs.LevelOne == nil || *hs.LevelOne.Name != "Region" || hs.LevelTwo == nil || *hs.LevelTwo.Name != "Team" || hs.LevelThree != nil {
		t.Errorf("DescribeUserHierarchyStructure: %+v", hs)
	}
}

func TestConfigErrors(t *testing.T) {
	_, c := startServer(t, newFixture(5, 5), Options{})
	cases := []struct {
		name string
		call func() error
		want any
	}{
		{"unknown user", func() error {
			_, err := c.DescribeUser(ctx(t), &connect.DescribeUserInput{InstanceId: aws.String(testInstance), UserId: aws.String("nobody")})
			return err
		}, new(*types.ResourceNotFoundException)},
		{"unknown queue", func() error {
			_, err := c.DescribeQueue(ctx(t), &connect.DescribeQueueInput{InstanceId: aws.String(testInstance), QueueId: aws.String("nope")})
			return err
		}, new(*types.ResourceNotFoundException)},
		{"unknown group", func() error {
			_, err := c.DescribeUserHierarchyGroup(ctx(t), &connect.DescribeUserHierarchyGroupInput{InstanceId: aws.String(testInstance), HierarchyGroupId: aws.String("nope")})
			return err
		}, new(*types.ResourceNotFoundException)},
		{"unknown routing profile", func() error {
			_, err := c.ListRoutingProfileQueues(ctx(t), &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(testInstance), RoutingProfileId: aws.String("nope")})
			return err
		}, new(*types.ResourceNotFoundException)},
		{"unknown instance", func() error {
			_, err := c.ListUsers(ctx(t), &connect.ListUsersInput{InstanceId: aws.String("99999999-0000-0000-0000-000000000000")})
			return err
		}, new(*types.ResourceNotFoundException)},
		{"max results above the model's maximum", func() error {
			_, err := c.ListUsers(ctx(t), &connect.ListUsersInput{InstanceId: aws.String(testInstance), MaxResults: aws.Int32(1001)})
			return err
		}, new(*types.InvalidParameterException)},
		{"routing profile queues above 100", func() error {
			_, err := c.ListRoutingProfileQueues(ctx(t), &connect.ListRoutingProfileQueuesInput{InstanceId: aws.String(testInstance), RoutingProfileId: aws.String("rp-0"), MaxResults: aws.Int32(101)})
			return err
		}, new(*types.InvalidParameterException)},
		{"garbage token", func() error {
			_, err := c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: aws.String(testInstance), NextToken: aws.String("garbage")})
			return err
		}, new(*types.InvalidParameterException)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if !errors.As(err, tc.want) {
				t.Fatalf("error %T %v, want %T", err, err, tc.want)
			}
		})
	}
}

func TestTokenOfAnotherRequestIsRejected(t *testing.T) {
	_, c := startServer(t, newFixture(5, 20), Options{})
	out, err := c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: aws.String(testInstance), MaxResults: aws.Int32(5)})
	if err != nil {
		t.Fatal(err)
	}
	if out.NextToken == nil {
		t.Fatal("no NextToken")
	}
	_, err = c.ListUsers(ctx(t), &connect.ListUsersInput{InstanceId: aws.String(testInstance), NextToken: out.NextToken})
	var ipe *types.InvalidParameterException
	if !errors.As(err, &ipe) {
		t.Fatalf("ListUsers with a ListQueues token: %v", err)
	}
	_, err = c.ListQueues(ctx(t), &connect.ListQueuesInput{InstanceId: aws.String(testInstance), NextToken: out.NextToken,
		QueueTypes: []types.QueueType{types.QueueTypeAgent}})
	if !errors.As(err, &ipe) {
		t.Fatalf("ListQueues with other filters: %v", err)
	}
}
