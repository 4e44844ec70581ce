package client

import (
	"context"
	"net/http"
	"time"
)

// GetImage reads one image. An unknown image, or one the caller may not see, is a 404 *Error.
func (c *Client) GetImage(ctx context.Context, imageID string) (*Image, error) {
	req := &apiRequest{
		operation: "get image",
		imageID:   imageID,
		method:    http.MethodGet,
		route:     "/api/v1/images/{image_id}",
		url:       c.imageURL("api", "v1", "images", imageID),
		withToken: true,
	}
	if imageID == "" {
		return nil, c.fail(req, nil, "the image ID is empty", nil)
	}
	res, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	return c.decodeImage(req, res)
}

func (c *Client) decodeImage(req *apiRequest, res *apiResponse) (*Image, error) {
	var answer imageAnswer
	if err := c.decodeAnswer(req, res, &answer); err != nil {
		return nil, err
	}
	if answer.Image == nil {
		return nil, c.fail(req, res, `the response has no "image" object`, nil)
	}
	wire := answer.Image
	if wire.ID == nil || *wire.ID == "" {
		return nil, c.fail(req, res, `the response field "image.id" is missing`, nil)
	}
	createdAt, err := c.parseAPITime(req, res, "image.created_at", wire.CreatedAt)
	if err != nil {
		return nil, err
	}
	updatedAt, err := c.parseAPITime(req, res, "image.updated_at", wire.UpdatedAt)
	if err != nil {
		return nil, err
	}
	image := &Image{
		ID:                *wire.ID,
		Name:              wire.Name,
		Description:       wire.Description,
		Size:              wire.Size,
		VirtualSize:       wire.VirtualSize,
		Status:            wire.Status,
		Owner:             wire.Owner,
		ProjectID:         wire.ProjectID,
		Visibility:        wire.Visibility,
		IsShared:          wire.IsShared,
		DiskFormat:        wire.DiskFormat,
		ContainerFormat:   wire.ContainerFormat,
		MinDisk:           wire.MinDisk,
		MinRAM:            wire.MinRAM,
		InstanceType:      wire.InstanceType,
		ImageMemberStatus: wire.ImageMemberStatus,
		CreatedAt:         createdAt,
		UpdatedAt:         updatedAt,
	}
	if wire.OSInfo != nil {
		image.OSInfo = OSInfo(*wire.OSInfo)
	}
	return image, nil
}

// Image is an image as the API describes it. A null or absent field is the zero value: "" for
// strings, 0 for numbers, false for booleans, the zero time for timestamps.
type Image struct {
	ID                string
	Name              string
	Description       string
	Size              int64  // bytes
	VirtualSize       int64  // bytes
	Status            string // queued, saving, active, deactivated, deleted
	Owner             string // owning project ID
	ProjectID         string
	Visibility        string // public, private, shared
	IsShared          bool
	DiskFormat        string
	ContainerFormat   string
	MinDisk           int64  // GB
	MinRAM            int64  // MB
	InstanceType      string // vm, bm, gpu
	ImageMemberStatus string // pending, accepted, rejected: set when the image is shared to the caller
	OSInfo            OSInfo
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// OSInfo is the operating system an image carries.
type OSInfo struct {
	Type         string // LINUX or WINDOWS
	Distro       string
	Architecture string
	AdminUser    string
	IsHidden     bool
}

type imageAnswer struct {
	Image *imageWire `json:"image"`
}

type imageWire struct {
	ID                *string     `json:"id"`
	Name              string      `json:"name"`
	Description       string      `json:"description"`
	Size              int64       `json:"size"`
	VirtualSize       int64       `json:"virtual_size"`
	Status            string      `json:"status"`
	Owner             string      `json:"owner"`
	ProjectID         string      `json:"project_id"`
	Visibility        string      `json:"visibility"`
	IsShared          bool        `json:"is_shared"`
	DiskFormat        string      `json:"disk_format"`
	ContainerFormat   string      `json:"container_format"`
	MinDisk           int64       `json:"min_disk"`
	MinRAM            int64       `json:"min_ram"`
	InstanceType      string      `json:"instance_type"`
	ImageMemberStatus string      `json:"image_member_status"`
	OSInfo            *osInfoWire `json:"os_info"`
	CreatedAt         *string     `json:"created_at"`
	UpdatedAt         *string     `json:"updated_at"`
}

type osInfoWire struct {
	Type         string `json:"type"`
	Distro       string `json:"distro"`
	Architecture string `json:"architecture"`
	AdminUser    string `json:"admin_user"`
	IsHidden     bool   `json:"is_hidden"`
}
