package emulator

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"sync"
	"time"
)

// IDs of the default fixture; docs, examples and tests name them.
const (
	DefaultOwnerProjectID        = "7699128bbf6d4ca49405f98f5570b7ff"
	DefaultOwnerCredentialID     = "bd0a655cb1f747f584e1035f40495445"
	DefaultOwnerCredentialSecret = "emulator-owner-secret"
	DefaultOtherProjectID        = "40d27972bf084e608de6514e850ee48b"
	DefaultOtherCredentialID     = "de15c76e3ba34b8e8a2f0c44accf1890"
	DefaultOtherCredentialSecret = "emulator-other-secret"
	DefaultPlatformProjectID     = "a59201320bd7453191850175dd7e0e3e"
	DefaultActiveImageID         = "088b4056-65b3-4ef4-a478-2f4ae9abb98c"
	DefaultInactiveImageID       = "052f92c1-0c70-4903-a65d-4a5433d57040"
	DefaultPublicImageID         = "30e78726-728f-467b-a03b-6c036c8ee1ad"
	DefaultOtherImageID          = "74d43bfe-6efa-4c19-ba0d-fdd0a235bb4c"
)

const (
	defaultProjectCount    = 320
	defaultExtraImageCount = 64
)

var (
	fixtureEpoch = time.Date(2024, time.March, 4, 9, 0, 0, 0, time.UTC)

	defaultProjectIDs = sync.OnceValue(func() []string {
		ids := make([]string, defaultProjectCount)
		for i := range ids {
			ids[i] = derivedHex(fmt.Sprintf("kakaocloud-emulator/project/%03d", i))
		}
		slices.Sort(ids)
		return ids
	})
	defaultExtraImageIDs = sync.OnceValue(func() []string {
		ids := make([]string, defaultExtraImageCount)
		for i := range ids {
			ids[i] = derivedUUID(fmt.Sprintf("kakaocloud-emulator/image/%02d", i))
		}
		return ids
	})
)

// DefaultProjectIDs returns the 320 extra projects of the default fixture, sorted.
func DefaultProjectIDs() []string {
	return slices.Clone(defaultProjectIDs())
}

// DefaultExtraImageIDs returns the 64 extra active private images the default owner holds, in
// fixture order.
func DefaultExtraImageIDs() []string {
	return slices.Clone(defaultExtraImageIDs())
}

// DefaultFixture returns a fresh copy of the built-in fixture; callers may change it.
func DefaultFixture() *Fixture {
	f := &Fixture{
		Projects: []FixtureProject{
			{ID: DefaultOwnerProjectID, Name: "emulator-owner"},
			{ID: DefaultOtherProjectID, Name: "emulator-other"},
			{ID: DefaultPlatformProjectID, Name: "emulator-platform"},
		},
		Credentials: []FixtureCredential{
			{
				ID: DefaultOwnerCredentialID, Secret: DefaultOwnerCredentialSecret,
				ProjectID: DefaultOwnerProjectID, UserName: "emulator-owner-user",
			},
			{
				ID: DefaultOtherCredentialID, Secret: DefaultOtherCredentialSecret,
				ProjectID: DefaultOtherProjectID, UserName: "emulator-other-user",
			},
		},
	}
	for i, id := range defaultProjectIDs() {
		f.Projects = append(f.Projects, FixtureProject{ID: id, Name: fmt.Sprintf("emulator-project-%03d", i)})
	}

	linux := func(distro, user string) *FixtureOSInfo {
		return &FixtureOSInfo{Type: "LINUX", Distro: distro, Architecture: "x86_64", AdminUser: user}
	}
	f.Images = []FixtureImage{
		{
			ID: DefaultActiveImageID, Name: "app-ubuntu-22.04", Description: "Application base image",
			Owner: DefaultOwnerProjectID, Status: "active", Visibility: visibilityPrivate,
			Size: 2_361_393_152, VirtualSize: 10_737_418_240, DiskFormat: "qcow2", ContainerFormat: "bare",
			MinDisk: 10, MinRAM: 512, InstanceType: "vm", OSInfo: linux("ubuntu", "ubuntu"),
			CreatedAt: fixtureEpoch.Add(2 * time.Hour), UpdatedAt: fixtureEpoch.Add(2 * time.Hour),
		},
		{
			ID: DefaultInactiveImageID, Name: "app-centos-7-retired", Description: "Deactivated image",
			Owner: DefaultOwnerProjectID, Status: "deactivated", Visibility: visibilityPrivate,
			Size: 1_073_741_824, VirtualSize: 10_737_418_240, DiskFormat: "qcow2", ContainerFormat: "bare",
			MinDisk: 10, MinRAM: 512, InstanceType: "vm", OSInfo: linux("centos", "centos"),
			CreatedAt: fixtureEpoch.Add(time.Hour), UpdatedAt: fixtureEpoch.Add(90 * time.Minute),
		},
		{
			ID: DefaultPublicImageID, Name: "Ubuntu 22.04", Description: "Basic image",
			Owner: DefaultPlatformProjectID, Status: "active", Visibility: visibilityPublic,
			Size: 687_865_856, VirtualSize: 2_361_393_152, DiskFormat: "qcow2", ContainerFormat: "bare",
			MinDisk: 3, MinRAM: 256, InstanceType: "vm", OSInfo: linux("ubuntu", "ubuntu"),
			CreatedAt: fixtureEpoch, UpdatedAt: fixtureEpoch,
		},
		{
			ID: DefaultOtherImageID, Name: "other-rocky-9", Description: "Image of the second project",
			Owner: DefaultOtherProjectID, Status: "active", Visibility: visibilityPrivate,
			Size: 1_610_612_736, VirtualSize: 10_737_418_240, DiskFormat: "qcow2", ContainerFormat: "bare",
			MinDisk: 10, MinRAM: 1024, InstanceType: "vm", OSInfo: linux("rocky", "rocky"),
			CreatedAt: fixtureEpoch.Add(3 * time.Hour), UpdatedAt: fixtureEpoch.Add(3 * time.Hour),
		},
	}
	for i, id := range defaultExtraImageIDs() {
		f.Images = append(f.Images, extraImage(i, id))
	}
	return f
}

// extraImage varies instance type, OS and disk size so list filters have something to select.
func extraImage(i int, id string) FixtureImage {
	instanceType, osInfo := "vm", &FixtureOSInfo{
		Type: "LINUX", Distro: "ubuntu", Architecture: "x86_64", AdminUser: "ubuntu",
	}
	if i%4 == 3 {
		instanceType = "bm"
	}
	if i%8 == 7 {
		osInfo = &FixtureOSInfo{Type: "WINDOWS", Distro: "windows", Architecture: "x86_64", AdminUser: "Administrator"}
	}
	created := fixtureEpoch.Add(time.Duration(24+i) * time.Hour)
	return FixtureImage{
		ID: id, Name: fmt.Sprintf("app-batch-%02d", i), Owner: DefaultOwnerProjectID,
		Status: "active", Visibility: visibilityPrivate,
		Size: int64(1+i%5) * 536_870_912, VirtualSize: 10_737_418_240, DiskFormat: "qcow2",
		ContainerFormat: "bare", MinDisk: int64(10 + 10*(i%3)), MinRAM: 512, InstanceType: instanceType,
		OSInfo: osInfo, CreatedAt: created, UpdatedAt: created,
	}
}

func derivedHex(label string) string {
	sum := sha256.Sum256([]byte(label))
	return hex.EncodeToString(sum[:16])
}

// derivedUUID shapes a digest as a version 4 UUID so every client's UUID check accepts it.
func derivedUUID(label string) string {
	sum := sha256.Sum256([]byte(label))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
