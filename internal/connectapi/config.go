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

// Configuration reads. The Search* operations return every field the
// store keeps, 500 (users, queues, routing profiles) or 100 (hierarchy
// groups, agent statuses) a page, so a whole instance is a few calls; the
// List* operations stay for the pollers that only need ids. Every read
// takes every page.

// listPageSize is the page size of the List* operations (the model's maximum
// for most of them is 1000; the service caps it where lower).
const listPageSize = 1000

// The Search* page sizes: the model's MaxResults maximum of each.
const (
	searchPageSize      = 500 // SearchUsers, SearchQueues, SearchRoutingProfiles
	smallSearchPageSize = 100 // SearchUserHierarchyGroups, SearchAgentStatuses
)

// describeWorkers is how many Describe* calls are in flight at once; the
// Limiter decides the rate, the workers only hide the latency.
const describeWorkers = 4

// pager is an SDK paginator.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*connect.Options)) (O, error)
}

// every reads every page of p and converts each item of each page (items
// picks them out of a page) with conv.
func every[O, I, T any](ctx context.Context, op string, p pager[O], items func(O) []I, conv func(I) T) ([]T, error) {
	out := []T{}
	for p.HasMorePages() {
		pg, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", op, err)
		}
		for _, it := range items(pg) {
			out = append(out, conv(it))
		}
	}
	return out, nil
}

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
		return every(ctx, "ListRoutingProfileQueues "+id, p,
			func(pg *connect.ListRoutingProfileQueuesOutput) []types.RoutingProfileQueueConfigSummary {
				return pg.RoutingProfileQueueConfigSummaryList
			},
			func(q types.RoutingProfileQueueConfigSummary) connectreporting.RoutingProfileQueue {
				c.noteARN(aws.ToString(q.QueueArn))
				qid := aws.ToString(q.QueueId)
				if qid == "" {
					qid = connectreporting.IDFromARN(aws.ToString(q.QueueArn))
				}
				return connectreporting.RoutingProfileQueue{
					RoutingProfileID: id, QueueID: qid, Channel: connectreporting.NormalizeChannel(string(q.Channel)),
					Priority: int(aws.ToInt32(q.Priority)), Delay: int(q.Delay),
				}
			})
	})
}

// DescribeUsers reads what SearchUsers lacks of the given users (DescribeUser,
// one call each): the email, with the user's LastModifiedTime. Users that no
// longer exist are left out; on error it returns what it got with the error.
func (c *Client) DescribeUsers(ctx context.Context, userIDs []string) (map[string]connectreporting.UserDetail, error) {
	return describeAll(ctx, userIDs, func(ctx context.Context, id string) (connectreporting.UserDetail, error) {
		out, err := c.sdk.DescribeUser(ctx, &connect.DescribeUserInput{InstanceId: c.inst(), UserId: aws.String(id)})
		if err != nil {
			return connectreporting.UserDetail{}, fmt.Errorf("DescribeUser %s: %w", id, err)
		}
		d := connectreporting.UserDetail{UserID: id}
		if u := out.User; u != nil {
			c.noteARN(aws.ToString(u.Arn))
			d.LastModified = utc(u.LastModifiedTime)
			if u.IdentityInfo != nil {
				d.Email = aws.ToString(u.IdentityInfo.Email)
			}
		}
		return d, nil
	})
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
