package emulator

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"testing"
)

// BenchmarkListMembers1000 reads every member of a 1000-member image page by page through a
// real HTTP client; one op is one full walk.
func BenchmarkListMembers1000(b *testing.B) {
	fixture := DefaultFixture()
	var members []string
	for i := range 1000 {
		id := derivedHex(fmt.Sprintf("kakaocloud-emulator/bench-project/%04d", i))
		fixture.Projects = append(fixture.Projects, FixtureProject{ID: id, Name: "bench-" + strconv.Itoa(i)})
		members = append(members, id)
	}
	fixture.Images[0].Members = members

	s := NewTestServer(b, Options{Fixture: fixture, MemberQuota: 1000})
	owner := ownerClient(b, s)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}

	for _, pageSize := range []int{20, 100, 1000} {
		b.Run("page="+strconv.Itoa(pageSize), func(b *testing.B) {
			b.ReportAllocs()
			pages := 0
			for b.Loop() {
				pages += walkMembers(b, client, s.URL(), owner.token, pageSize)
			}
			b.ReportMetric(float64(pages)/float64(b.N), "pages/op")
		})
	}
}

func walkMembers(b *testing.B, client *http.Client, base, token string, pageSize int) int {
	pages, seen := 0, 0
	for {
		url := fmt.Sprintf("%s%s?limit=%d&offset=%d", base, membersPath(ownerImage), pageSize, seen)
		req, err := http.NewRequest(http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("X-Auth-Token", token)
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		var page memberListBody
		err = json.NewDecoder(resp.Body).Decode(&page)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("page at %d: %d %v", seen, resp.StatusCode, err)
		}
		pages++
		seen += len(page.Members)
		if len(page.Members) == 0 || seen >= page.Pagination.Total {
			if seen != 1000 {
				b.Fatalf("walked %d members, want 1000", seen)
			}
			return pages
		}
	}
}
