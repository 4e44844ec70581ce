package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// maxListedMembers bounds how far ListImageMembers pages, so that a server whose total never
// stops growing cannot keep it busy forever. The API caps an image at a few hundred members.
const maxListedMembers = 100_000

const membersRoute = "/api/v1/images/{image_id}/members"

// ListImageMembers returns every member of the image, following pages of PageSize until the
// API's total is reached or a page comes back empty. Members keep the API's order; one listed
// twice across pages (the list moved under us) appears once, as last seen.
func (c *Client) ListImageMembers(ctx context.Context, imageID string) ([]Member, error) {
	req := &apiRequest{
		operation: "list image members",
		imageID:   imageID,
		method:    http.MethodGet,
		route:     membersRoute,
		withToken: true,
	}
	if imageID == "" {
		return nil, c.fail(req, nil, "the image ID is empty", nil)
	}
	base := c.imageURL("api", "v1", "images", imageID, "members")
	members := []Member{} // an empty list is an answer too, not the absence of one
	index := map[string]int{}
	for offset := 0; ; {
		query := url.Values{"limit": {strconv.Itoa(c.pageSize)}, "offset": {strconv.Itoa(offset)}}
		req.url = base + "?" + query.Encode()
		page, total, err := c.listMembersPage(ctx, req, imageID)
		if err != nil {
			return nil, err
		}
		added := 0
		for _, m := range page {
			if i, ok := index[m.ID]; ok {
				members[i] = m
				continue
			}
			index[m.ID] = len(members)
			members = append(members, m)
			added++
		}
		if len(page) == 0 {
			break
		}
		offset += len(page)
		if total < 0 && len(page) < c.pageSize || total >= 0 && offset >= total {
			break
		}
		if added == 0 {
			return nil, c.fail(req, nil, fmt.Sprintf("the API repeated a whole page at offset %d; "+
				"it is not paging as documented", offset-len(page)), nil)
		}
		if offset >= maxListedMembers {
			return nil, c.fail(req, nil, fmt.Sprintf("the API still reports more members after %d; "+
				"its pagination total cannot be right", offset), nil)
		}
	}
	return members, nil
}

// listMembersPage reads one page; total is -1 when the answer has no pagination.
func (c *Client) listMembersPage(ctx context.Context, req *apiRequest, imageID string) ([]Member, int, error) {
	res, err := c.do(ctx, req)
	if err != nil {
		return nil, 0, err
	}
	return c.decodeMembersPage(req, res, imageID)
}

func (c *Client) decodeMembersPage(req *apiRequest, res *apiResponse, imageID string) ([]Member, int, error) {
	var answer membersAnswer
	if err := c.decodeAnswer(req, res, &answer); err != nil {
		return nil, 0, err
	}
	if answer.Members == nil {
		return nil, 0, c.fail(req, res, `the response has no "members" list`, nil)
	}
	total := -1
	if answer.Pagination != nil {
		total = answer.Pagination.Total
	}
	page := make([]Member, 0, len(*answer.Members))
	for _, wire := range *answer.Members {
		m, err := c.memberFromWire(req, res, "members", imageID, wire)
		if err != nil {
			return nil, 0, err
		}
		if wire.IsShared != nil {
			m.IsShared = *wire.IsShared
		}
		page = append(page, m)
	}
	return page, total, nil
}

// AddImageMember shares the image with a project. The API answers 409 when the project is
// already a member; callers that only want the share to exist treat that as success.
func (c *Client) AddImageMember(ctx context.Context, imageID, projectID string) (*Member, error) {
	req := c.memberRequest("add image member", http.MethodPost, imageID, projectID)
	if imageID == "" || projectID == "" {
		return nil, c.fail(req, nil, "the image ID and project ID must not be empty", nil)
	}
	res, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.decodeAddedMember(req, res, imageID)
}

func (c *Client) decodeAddedMember(req *apiRequest, res *apiResponse, imageID string) (*Member, error) {
	var answer addedMemberAnswer
	if err := c.decodeAnswer(req, res, &answer); err != nil {
		return nil, err
	}
	if answer.Member == nil {
		return nil, c.fail(req, res, `the response has no "member" object`, nil)
	}
	m, err := c.memberFromWire(req, res, "member", imageID, *answer.Member)
	if err != nil {
		return nil, err
	}
	return &m, nil
}

// RemoveImageMember stops sharing the image with a project. The API answers 404 when the project
// is not a member; callers that only want the share gone treat that as success.
func (c *Client) RemoveImageMember(ctx context.Context, imageID, projectID string) error {
	req := c.memberRequest("remove image member", http.MethodDelete, imageID, projectID)
	if imageID == "" || projectID == "" {
		return c.fail(req, nil, "the image ID and project ID must not be empty", nil)
	}
	_, err := c.do(ctx, req)
	return err
}

func (c *Client) memberRequest(operation, method, imageID, projectID string) *apiRequest {
	return &apiRequest{
		operation: operation,
		imageID:   imageID,
		projectID: projectID,
		method:    method,
		route:     membersRoute + "/{member_id}",
		url:       c.imageURL("api", "v1", "images", imageID, "members", projectID),
		withToken: true,
		write:     true,
	}
}

func (c *Client) memberFromWire(req *apiRequest, res *apiResponse, field, imageID string,
	wire memberWire,
) (Member, error) {
	if wire.ID == "" {
		return Member{}, c.fail(req, res, fmt.Sprintf("the response field %q is missing", field+".id"), nil)
	}
	createdAt, err := c.parseAPITime(req, res, field+".created_at", wire.CreatedAt)
	if err != nil {
		return Member{}, err
	}
	updatedAt, err := c.parseAPITime(req, res, field+".updated_at", wire.UpdatedAt)
	if err != nil {
		return Member{}, err
	}
	m := Member{ID: wire.ID, ImageID: wire.ImageID, Status: wire.Status, CreatedAt: createdAt, UpdatedAt: updatedAt}
	if m.ImageID == "" {
		m.ImageID = imageID
	}
	return m, nil
}

// Member is one project an image is shared with. ID is the project's ID. Status is "" when the
// API sends null. IsShared is false until the share has propagated, and always false in the
// answer to AddImageMember, which does not carry it.
type Member struct {
	ID        string
	ImageID   string
	Status    string
	IsShared  bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

type membersAnswer struct {
	Members    *[]memberWire   `json:"members"`
	Pagination *paginationWire `json:"pagination"`
}

type addedMemberAnswer struct {
	Member *memberWire `json:"member"`
}

type memberWire struct {
	ID        string  `json:"id"`
	ImageID   string  `json:"image_id"`
	Status    string  `json:"status"`
	IsShared  *bool   `json:"is_shared"`
	CreatedAt *string `json:"created_at"`
	UpdatedAt *string `json:"updated_at"`
}

type paginationWire struct {
	Total  int `json:"total"`
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
}
