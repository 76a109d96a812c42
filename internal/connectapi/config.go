package connectapi

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// Configuration reads. Every List* reads every page; every Describe* takes
// ids and returns the described resources by id. A resource that no longer
// exists (ResourceNotFoundException) is left out of the map without an
// error. On any other error Describe* returns what it described so far
// together with the error, so a caller can keep the work already done.

// listPageSize is the page size of the List* operations (the model's maximum
// for most of them is 1000; the service caps it where lower).
const listPageSize = 1000

// describeWorkers is how many Describe* calls are in flight at once; the
// Limiter decides the rate, the workers only hide the latency.
const describeWorkers = 4

func (c *Client) inst() *string { return aws.String(c.InstanceID) }

// ListQueues lists the instance's STANDARD queues (id, ARN, name, type) and
// the LastModifiedTime of each, where the API gives it.
func (c *Client) ListQueues(ctx context.Context) ([]connectreporting.Queue, map[string]time.Time, error) {
	p := connect.NewListQueuesPaginator(c.sdk, &connect.ListQueuesInput{
		InstanceId: c.inst(), QueueTypes: []types.QueueType{types.QueueTypeStandard}, MaxResults: aws.Int32(listPageSize),
	})
	var out []connectreporting.Queue
	mod := map[string]time.Time{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListQueues: %w", err)
		}
		for _, q := range pg.QueueSummaryList {
			if q.QueueType != "" && q.QueueType != types.QueueTypeStandard {
				continue
			}
			id, arn := aws.ToString(q.Id), aws.ToString(q.Arn)
			c.noteARN(arn)
			out = append(out, connectreporting.Queue{ID: id, ARN: arn, Name: aws.ToString(q.Name), Type: string(types.QueueTypeStandard)})
			noteModified(mod, id, q.LastModifiedTime)
		}
	}
	return out, mod, nil
}

// DescribeQueues describes queues (DescribeQueue).
func (c *Client) DescribeQueues(ctx context.Context, ids []string) (map[string]connectreporting.Queue, error) {
	return describeAll(ctx, ids, func(ctx context.Context, id string) (connectreporting.Queue, error) {
		out, err := c.sdk.DescribeQueue(ctx, &connect.DescribeQueueInput{InstanceId: c.inst(), QueueId: aws.String(id)})
		if err != nil {
			return connectreporting.Queue{}, fmt.Errorf("DescribeQueue %s: %w", id, err)
		}
		q := out.Queue
		if q == nil {
			return connectreporting.Queue{}, fmt.Errorf("DescribeQueue %s: empty answer", id)
		}
		c.noteARN(aws.ToString(q.QueueArn))
		res := connectreporting.Queue{
			ID: aws.ToString(q.QueueId), ARN: aws.ToString(q.QueueArn), Name: aws.ToString(q.Name),
			Type: string(types.QueueTypeStandard), Description: aws.ToString(q.Description),
			Status: string(q.Status), HoursOfOperationID: aws.ToString(q.HoursOfOperationId),
		}
		if res.ID == "" {
			res.ID = id
		}
		if q.MaxContacts != nil {
			n := int(*q.MaxContacts)
			res.MaxContacts = &n
		}
		return res, nil
	})
}

// ListUsers lists every user (id, ARN, username) and the LastModifiedTime
// of each, where the API gives it.
func (c *Client) ListUsers(ctx context.Context) ([]connectreporting.User, map[string]time.Time, error) {
	p := connect.NewListUsersPaginator(c.sdk, &connect.ListUsersInput{InstanceId: c.inst(), MaxResults: aws.Int32(listPageSize)})
	var out []connectreporting.User
	mod := map[string]time.Time{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListUsers: %w", err)
		}
		for _, u := range pg.UserSummaryList {
			id, arn := aws.ToString(u.Id), aws.ToString(u.Arn)
			c.noteARN(arn)
			out = append(out, connectreporting.User{ID: id, ARN: arn, Username: aws.ToString(u.Username)})
			noteModified(mod, id, u.LastModifiedTime)
		}
	}
	return out, mod, nil
}

// DescribeUsers describes users (DescribeUser): names, email, routing
// profile, hierarchy group, security profiles and phone configuration.
func (c *Client) DescribeUsers(ctx context.Context, ids []string) (map[string]connectreporting.User, error) {
	return describeAll(ctx, ids, func(ctx context.Context, id string) (connectreporting.User, error) {
		out, err := c.sdk.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: c.inst(), UserId: aws.String(id)})
		if err != nil {
			return connectreporting.User{}, fmt.Errorf("DescribeUser %s: %w", id, err)
		}
		if out.User == nil {
			return connectreporting.User{}, fmt.Errorf("DescribeUser %s: empty answer", id)
		}
		return c.user(id, out.User), nil
	})
}

func (c *Client) user(id string, u *types.User) connectreporting.User {
	c.noteARN(aws.ToString(u.Arn))
	res := connectreporting.User{
		ID: aws.ToString(u.Id), ARN: aws.ToString(u.Arn), Username: aws.ToString(u.Username),
		RoutingProfileID: aws.ToString(u.RoutingProfileId), HierarchyGroupID: aws.ToString(u.HierarchyGroupId),
	}
	if res.ID == "" {
		res.ID = id
	}
	if len(u.SecurityProfileIds) > 0 {
		res.SecurityProfileIDs = append([]string(nil), u.SecurityProfileIds...)
	}
	if ii := u.IdentityInfo; ii != nil {
		res.FirstName, res.LastName, res.Email = aws.ToString(ii.FirstName), aws.ToString(ii.LastName), aws.ToString(ii.Email)
	}
	if pc := u.PhoneConfig; pc != nil {
		res.PhoneType = string(pc.PhoneType)
		res.AutoAccept = pc.AutoAccept
		res.AfterContactWorkTimeLimit = int(pc.AfterContactWorkTimeLimit)
	}
	return res
}

// ListHierarchyGroups lists every user hierarchy group (id, ARN, name) and
// the LastModifiedTime of each, where the API gives it.
func (c *Client) ListHierarchyGroups(ctx context.Context) ([]connectreporting.HierarchyGroup, map[string]time.Time, error) {
	p := connect.NewListUserHierarchyGroupsPaginator(c.sdk, &connect.ListUserHierarchyGroupsInput{InstanceId: c.inst(), MaxResults: aws.Int32(listPageSize)})
	var out []connectreporting.HierarchyGroup
	mod := map[string]time.Time{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListUserHierarchyGroups: %w", err)
		}
		for _, g := range pg.UserHierarchyGroupSummaryList {
			id, arn := aws.ToString(g.Id), aws.ToString(g.Arn)
			c.noteARN(arn)
			out = append(out, connectreporting.HierarchyGroup{ID: id, ARN: arn, Name: aws.ToString(g.Name)})
			noteModified(mod, id, g.LastModifiedTime)
		}
	}
	return out, mod, nil
}

// DescribeHierarchyGroups describes hierarchy groups
// (DescribeUserHierarchyGroup): level and path.
func (c *Client) DescribeHierarchyGroups(ctx context.Context, ids []string) (map[string]connectreporting.HierarchyGroup, error) {
	return describeAll(ctx, ids, func(ctx context.Context, id string) (connectreporting.HierarchyGroup, error) {
		out, err := c.sdk.DescribeUserHierarchyGroup(ctx, &connect.DescribeUserHierarchyGroupInput{InstanceId: c.inst(), HierarchyGroupId: aws.String(id)})
		if err != nil {
			return connectreporting.HierarchyGroup{}, fmt.Errorf("DescribeUserHierarchyGroup %s: %w", id, err)
		}
		g := out.HierarchyGroup
		if g == nil {
			return connectreporting.HierarchyGroup{}, fmt.Errorf("DescribeUserHierarchyGroup %s: empty answer", id)
		}
		c.noteARN(aws.ToString(g.Arn))
		res := connectreporting.HierarchyGroup{ID: aws.ToString(g.Id), ARN: aws.ToString(g.Arn), Name: aws.ToString(g.Name), LevelID: aws.ToString(g.LevelId)}
		if res.ID == "" {
			res.ID = id
		}
		if hp := g.HierarchyPath; hp != nil {
			for _, l := range []*types.HierarchyGroupSummary{hp.LevelOne, hp.LevelTwo, hp.LevelThree, hp.LevelFour, hp.LevelFive} {
				if l == nil || aws.ToString(l.Id) == "" {
					break
				}
				res.Path = append(res.Path, aws.ToString(l.Id))
			}
		}
		return res, nil
	})
}

// HierarchyLevels reads the hierarchy structure (DescribeUserHierarchyStructure),
// Level1 first; levels not defined are absent.
func (c *Client) HierarchyLevels(ctx context.Context) ([]connectreporting.HierarchyLevel, error) {
	out, err := c.sdk.DescribeUserHierarchyStructure(ctx, &connect.DescribeUserHierarchyStructureInput{InstanceId: c.inst()})
	if err != nil {
		return nil, fmt.Errorf("DescribeUserHierarchyStructure: %w", err)
	}
	levels := []connectreporting.HierarchyLevel{}
	if st := out.HierarchyStructure; st != nil {
		for i, l := range []*types.HierarchyLevel{st.LevelOne, st.LevelTwo, st.LevelThree, st.LevelFour, st.LevelFive} {
			if l == nil || aws.ToString(l.Id) == "" {
				continue
			}
			c.noteARN(aws.ToString(l.Arn))
			levels = append(levels, connectreporting.HierarchyLevel{ID: aws.ToString(l.Id), ARN: aws.ToString(l.Arn), Name: aws.ToString(l.Name), Level: i + 1})
		}
	}
	return levels, nil
}

// ListRoutingProfiles lists every routing profile (id, ARN, name) and the
// LastModifiedTime of each, where the API gives it.
func (c *Client) ListRoutingProfiles(ctx context.Context) ([]connectreporting.RoutingProfile, map[string]time.Time, error) {
	p := connect.NewListRoutingProfilesPaginator(c.sdk, &connect.ListRoutingProfilesInput{InstanceId: c.inst(), MaxResults: aws.Int32(listPageSize)})
	var out []connectreporting.RoutingProfile
	mod := map[string]time.Time{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("ListRoutingProfiles: %w", err)
		}
		for _, r := range pg.RoutingProfileSummaryList {
			id, arn := aws.ToString(r.Id), aws.ToString(r.Arn)
			c.noteARN(arn)
			out = append(out, connectreporting.RoutingProfile{ID: id, ARN: arn, Name: aws.ToString(r.Name)})
			noteModified(mod, id, r.LastModifiedTime)
		}
	}
	return out, mod, nil
}

// RoutingProfileQueues lists the queues of routing profiles
// (ListRoutingProfileQueues, every page), by routing profile id. A profile
// without queues maps to an empty, non-nil slice.
func (c *Client) RoutingProfileQueues(ctx context.Context, routingProfileIDs []string) (map[string][]connectreporting.RoutingProfileQueue, error) {
	return describeAll(ctx, routingProfileIDs, func(ctx context.Context, id string) ([]connectreporting.RoutingProfileQueue, error) {
		p := connect.NewListRoutingProfileQueuesPaginator(c.sdk, &connect.ListRoutingProfileQueuesInput{
			InstanceId: c.inst(), RoutingProfileId: aws.String(id), MaxResults: aws.Int32(100),
		})
		out := []connectreporting.RoutingProfileQueue{}
		for p.HasMorePages() {
			pg, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("ListRoutingProfileQueues %s: %w", id, err)
			}
			for _, q := range pg.RoutingProfileQueueConfigSummaryList {
				c.noteARN(aws.ToString(q.QueueArn))
				qid := aws.ToString(q.QueueId)
				if qid == "" {
					qid = connectreporting.IDFromARN(aws.ToString(q.QueueArn))
				}
				out = append(out, connectreporting.RoutingProfileQueue{
					RoutingProfileID: id, QueueID: qid, Channel: connectreporting.NormalizeChannel(string(q.Channel)),
					Priority: int(aws.ToInt32(q.Priority)), Delay: int(q.Delay),
				})
			}
		}
		return out, nil
	})
}

// ListAgentStatuses lists every agent status (id, ARN, name, type).
func (c *Client) ListAgentStatuses(ctx context.Context) ([]connectreporting.AgentStatus, error) {
	p := connect.NewListAgentStatusesPaginator(c.sdk, &connect.ListAgentStatusesInput{InstanceId: c.inst(), MaxResults: aws.Int32(listPageSize)})
	out := []connectreporting.AgentStatus{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("ListAgentStatuses: %w", err)
		}
		for _, s := range pg.AgentStatusSummaryList {
			c.noteARN(aws.ToString(s.Arn))
			out = append(out, connectreporting.AgentStatus{ID: aws.ToString(s.Id), ARN: aws.ToString(s.Arn), Name: aws.ToString(s.Name), Type: string(s.Type)})
		}
	}
	return out, nil
}

func noteModified(m map[string]time.Time, id string, t *time.Time) {
	if t != nil && !t.IsZero() {
		m[id] = t.UTC()
	}
}

// IsNotFound reports whether err is a ResourceNotFoundException.
func IsNotFound(err error) bool {
	var nf *types.ResourceNotFoundException
	return errors.As(err, &nf)
}

// describeAll calls fn for every id with a few workers and returns the
// results by id. Ids answered with ResourceNotFoundException are left out.
// On the first other error it stops and returns what it has with the error.
func describeAll[T any](ctx context.Context, ids []string, fn func(context.Context, string) (T, error)) (map[string]T, error) {
	out := make(map[string]T, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	work := make(chan string)
	for range min(describeWorkers, len(ids)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				v, err := fn(ctx, id)
				mu.Lock()
				switch {
				case err == nil:
					out[id] = v
				case IsNotFound(err):
				case first == nil:
					first = err
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
feed:
	for _, id := range ids {
		select {
		case work <- id:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	if first != nil {
		return out, first
	}
	return out, nil
}
