package configsync

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	connectreporting "github.com/connect-reporting/connect-reporting"
)

// KindUserEmails names the users' emails (DescribeUser) in Stats.Failed and
// Poll's error. When they fail, the users are still synced, with the emails
// stored before.
const KindUserEmails = "user_emails"

// DefaultDetailBudget: DescribeUser calls are made until the sync has run
// this long. At Connect's default DescribeUser quota (2/s) that is about
// 100 users on a first sync of 10,000 users (whose other reads take about
// 100 s) and about 280 on each later sync, so the whole sync stays within
// 3 minutes while the emails of a large instance are filled over a day or
// two of hourly syncs; after that, only users whose LastModifiedTime moved
// are described.
const DefaultDetailBudget = 150 * time.Second

// readUserTimes lists every user's LastModifiedTime (ListUsers, 1,000 a
// page: SearchUsers does not give it) into r.modified; on failure the
// users are synced without describing anyone.
func (s *Syncer) readUserTimes(ctx context.Context, r *reading) {
	_, mod, err := s.API.ListUsers(ctx)
	if err != nil {
		r.fail(KindUserEmails, err)
		return
	}
	r.mu.Lock()
	r.modified = mod
	r.mu.Unlock()
}

// fillEmails sets the email of every user read: DescribeUser for the users
// whose stored detail is missing or older than their LastModifiedTime (the
// changed ones first), until the sync has run DetailBudget or ctx ends;
// the stored detail for the others. It saves what it read and drops the
// details of users no longer listed. It runs after the other reads, so
// that under DELAY pacing it never slows them. The API calls use readCtx,
// the store ctx.
func (s *Syncer) fillEmails(ctx, readCtx context.Context, r *reading, start time.Time) {
	users := r.cfg.Users
	if users == nil {
		return
	}
	list, err := s.Store.UserDetails(ctx)
	if err != nil {
		r.fail(KindUserEmails, err)
		return
	}
	stored := make(map[string]connectreporting.UserDetail, len(list))
	for _, d := range list {
		stored[d.UserID] = d
	}
	for i := range users {
		if t, ok := r.modified[users[i].ID]; ok {
			users[i].LastModified = t
		}
	}
	read, err := s.describe(readCtx, r, users, stored, start)
	if err != nil {
		r.fail(KindUserEmails, err)
	}
	if err := s.Store.SaveUserDetails(ctx, read, dropped(stored, users)); err != nil {
		r.fail(KindUserEmails, fmt.Errorf("saving: %w", err))
	}
	for i := range users {
		users[i].Email = stored[users[i].ID].Email
	}
}

// describe calls DescribeUser for the users that need it (when ListUsers
// answered) within the budget, adds what it read to stored and returns it.
// A budget or deadline that ends the calls is not an error.
func (s *Syncer) describe(ctx context.Context, r *reading, users []connectreporting.User, stored map[string]connectreporting.UserDetail, start time.Time) ([]connectreporting.UserDetail, error) {
	if r.modified == nil {
		return nil, nil
	}
	ids := toDescribe(users, stored)
	budget, cancel := context.WithDeadline(ctx, start.Add(orDefault(s.DetailBudget, DefaultDetailBudget)))
	defer cancel()
	got, err := s.API.DescribeUsers(budget, ids)
	if errors.Is(err, context.DeadlineExceeded) {
		err = nil // the budget (or the read deadline) is spent
	}
	read := make([]connectreporting.UserDetail, 0, len(got))
	for _, id := range ids {
		d, ok := got[id]
		if !ok {
			continue
		}
		if d.LastModified.IsZero() {
			d.LastModified = r.modified[id]
		}
		d.ReadAt = r.cfg.ReadAt
		stored[id] = d
		read = append(read, d)
	}
	r.described, r.pending = len(read), len(ids)-len(read) // after read's goroutines: r is this goroutine's alone
	return read, err
}

// toDescribe returns the ids of the users to describe: those whose
// LastModifiedTime moved since their stored detail was read (first), then
// those without one, each in id order. A user whose LastModifiedTime the
// API did not give is described only when it has no detail.
func toDescribe(users []connectreporting.User, stored map[string]connectreporting.UserDetail) []string {
	var changed, missing []string
	for _, u := range users {
		d, ok := stored[u.ID]
		switch {
		case !ok:
			missing = append(missing, u.ID)
		case !u.LastModified.IsZero() && !sameTime(u.LastModified, d.LastModified):
			changed = append(changed, u.ID)
		}
	}
	slices.SortFunc(changed, cmp.Compare)
	slices.SortFunc(missing, cmp.Compare)
	return append(changed, missing...)
}

// sameTime compares times at the millisecond, the precision every dialect
// stores and the API gives.
func sameTime(a, b time.Time) bool {
	return a.Round(time.Millisecond).Equal(b.Round(time.Millisecond))
}

// dropped returns the ids of the stored details whose user is no longer listed.
func dropped(stored map[string]connectreporting.UserDetail, users []connectreporting.User) []string {
	listed := make(map[string]bool, len(users))
	for _, u := range users {
		listed[u.ID] = true
	}
	var out []string
	for id := range stored {
		if !listed[id] {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}
