package connectapi

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/connect"
	"github.com/aws/aws-sdk-go-v2/service/connect/types"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// SearchUsers reads every user (SearchUsers, 500 a page): names, routing
// profile, hierarchy group, security profiles and phone settings. Search
// gives no email and no LastModifiedTime.
func (c *Client) SearchUsers(ctx context.Context) ([]connectreporting.User, error) {
	p := connect.NewSearchUsersPaginator(c.sdk, &connect.SearchUsersInput{InstanceId: c.inst(), MaxResults: aws.Int32(searchPageSize)})
	return every(ctx, "SearchUsers", p, func(pg *connect.SearchUsersOutput) []types.UserSearchSummary { return pg.Users }, c.searchedUser)
}

func (c *Client) searchedUser(u types.UserSearchSummary) connectreporting.User {
	c.noteARN(aws.ToString(u.Arn))
	res := connectreporting.User{
		ID: aws.ToString(u.Id), ARN: aws.ToString(u.Arn), Username: aws.ToString(u.Username),
		RoutingProfileID: aws.ToString(u.RoutingProfileId), HierarchyGroupID: aws.ToString(u.HierarchyGroupId),
	}
	if len(u.SecurityProfileIds) > 0 {
		res.SecurityProfileIDs = append([]string(nil), u.SecurityProfileIds...)
	}
	if ii := u.IdentityInfo; ii != nil {
		res.FirstName, res.LastName = aws.ToString(ii.FirstName), aws.ToString(ii.LastName)
	}
	if pc := u.PhoneConfig; pc != nil {
		res.PhoneType, res.AutoAccept = string(pc.PhoneType), pc.AutoAccept
		// SearchUsers gives the limit in milliseconds (DescribeUser in seconds).
		res.AfterContactWorkTimeLimit = int(pc.AfterContactWorkTimeLimit / 1000)
	}
	return res
}

// SearchQueues reads every STANDARD queue (SearchQueues with a
// QueueTypeCondition, 500 a page) with its details and LastModifiedTime.
func (c *Client) SearchQueues(ctx context.Context) ([]connectreporting.Queue, error) {
	p := connect.NewSearchQueuesPaginator(c.sdk, &connect.SearchQueuesInput{
		InstanceId: c.inst(), MaxResults: aws.Int32(searchPageSize),
		SearchCriteria: &types.QueueSearchCriteria{QueueTypeCondition: types.SearchableQueueTypeStandard},
	})
	return every(ctx, "SearchQueues", p, func(pg *connect.SearchQueuesOutput) []types.Queue { return pg.Queues },
		func(q types.Queue) connectreporting.Queue {
			c.noteARN(aws.ToString(q.QueueArn))
			res := connectreporting.Queue{
				ID: aws.ToString(q.QueueId), ARN: aws.ToString(q.QueueArn), Name: aws.ToString(q.Name),
				Type: string(types.QueueTypeStandard), Description: aws.ToString(q.Description),
				Status: string(q.Status), HoursOfOperationID: aws.ToString(q.HoursOfOperationId), LastModified: utc(q.LastModifiedTime),
			}
			if q.MaxContacts != nil {
				n := int(*q.MaxContacts)
				res.MaxContacts = &n
			}
			return res
		})
}

// SearchRoutingProfiles reads every routing profile (SearchRoutingProfiles,
// 500 a page): description, default outbound queue, concurrency per
// channel and LastModifiedTime. Their queues' priority and delay need
// RoutingProfileQueues.
func (c *Client) SearchRoutingProfiles(ctx context.Context) ([]connectreporting.RoutingProfile, error) {
	p := connect.NewSearchRoutingProfilesPaginator(c.sdk, &connect.SearchRoutingProfilesInput{InstanceId: c.inst(), MaxResults: aws.Int32(searchPageSize)})
	return every(ctx, "SearchRoutingProfiles", p, func(pg *connect.SearchRoutingProfilesOutput) []types.RoutingProfile { return pg.RoutingProfiles },
		func(r types.RoutingProfile) connectreporting.RoutingProfile {
			c.noteARN(aws.ToString(r.RoutingProfileArn))
			res := connectreporting.RoutingProfile{
				ID: aws.ToString(r.RoutingProfileId), ARN: aws.ToString(r.RoutingProfileArn), Name: aws.ToString(r.Name),
				Description: aws.ToString(r.Description), DefaultOutboundQueueID: aws.ToString(r.DefaultOutboundQueueId),
				LastModified: utc(r.LastModifiedTime),
			}
			for _, mc := range r.MediaConcurrencies {
				if res.Concurrency == nil {
					res.Concurrency = map[string]int{}
				}
				res.Concurrency[connectreporting.NormalizeChannel(string(mc.Channel))] = int(aws.ToInt32(mc.Concurrency))
			}
			return res
		})
}

// SearchHierarchyGroups reads every user hierarchy group
// (SearchUserHierarchyGroups, 100 a page) with its level, path and
// LastModifiedTime.
func (c *Client) SearchHierarchyGroups(ctx context.Context) ([]connectreporting.HierarchyGroup, error) {
	p := connect.NewSearchUserHierarchyGroupsPaginator(c.sdk, &connect.SearchUserHierarchyGroupsInput{InstanceId: c.inst(), MaxResults: aws.Int32(smallSearchPageSize)})
	return every(ctx, "SearchUserHierarchyGroups", p, func(pg *connect.SearchUserHierarchyGroupsOutput) []types.HierarchyGroup {
		return pg.UserHierarchyGroups
	},
		func(g types.HierarchyGroup) connectreporting.HierarchyGroup {
			c.noteARN(aws.ToString(g.Arn))
			res := connectreporting.HierarchyGroup{ID: aws.ToString(g.Id), ARN: aws.ToString(g.Arn), Name: aws.ToString(g.Name),
				LevelID: aws.ToString(g.LevelId), LastModified: utc(g.LastModifiedTime)}
			if hp := g.HierarchyPath; hp != nil {
				for _, l := range []*types.HierarchyGroupSummary{hp.LevelOne, hp.LevelTwo, hp.LevelThree, hp.LevelFour, hp.LevelFive} {
					if l == nil || aws.ToString(l.Id) == "" {
						break
					}
					res.Path = append(res.Path, aws.ToString(l.Id))
				}
			}
			return res
		})
}

// SearchAgentStatuses reads every agent status (SearchAgentStatuses, 100 a
// page): type, state, display order and LastModifiedTime.
func (c *Client) SearchAgentStatuses(ctx context.Context) ([]connectreporting.AgentStatus, error) {
	p := connect.NewSearchAgentStatusesPaginator(c.sdk, &connect.SearchAgentStatusesInput{InstanceId: c.inst(), MaxResults: aws.Int32(smallSearchPageSize)})
	return every(ctx, "SearchAgentStatuses", p, func(pg *connect.SearchAgentStatusesOutput) []types.AgentStatus { return pg.AgentStatuses },
		func(s types.AgentStatus) connectreporting.AgentStatus {
			c.noteARN(aws.ToString(s.AgentStatusARN))
			return connectreporting.AgentStatus{ID: aws.ToString(s.AgentStatusId), ARN: aws.ToString(s.AgentStatusARN),
				Name: aws.ToString(s.Name), Type: string(s.Type), State: string(s.State), DisplayOrder: int(aws.ToInt32(s.DisplayOrder)),
				LastModified: utc(s.LastModifiedTime)}
		})
}

// utc is t in UTC, or the zero time when the API gave none.
func utc(t *time.Time) time.Time {
	if t == nil || t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}
