package provider

import (
	"strings"
	"testing"
)

func TestResolveEndpoints(t *testing.T) {
	cases := []struct {
		name, region, realm, all string
		overrides                map[string]string
		want                     map[string]string
		wantErr                  string
	}{
		{name: "defaults", region: "kr-central-2", realm: "public", want: map[string]string{
			"iam": "https://iam.kakaocloud.com", "image": "https://image.kr-central-2.kakaocloud.com",
			"config": "https://heimdall.kr-central-2.kakaocloud.com", "mysql": "https://mysql.kr-central-2.kakaocloud.com",
		}},
		{name: "region", region: "kr-central-1", realm: "public", want: map[string]string{
			"image": "https://image.kr-central-1.kakaocloud.com",
		}},
		{name: "one URL for all", region: "kr-central-2", realm: "public", all: "http://127.0.0.1:8787/",
			want: map[string]string{"iam": "http://127.0.0.1:8787", "image": "http://127.0.0.1:8787",
				"vpc": "http://127.0.0.1:8787"}},
		{name: "override beats the single URL, for every key", region: "kr-central-2", realm: "public",
			all: "http://127.0.0.1:1", overrides: map[string]string{"image": "http://127.0.0.1:2",
				"load-balancer": "http://127.0.0.1:3", "tgw": "https://tgw.example.test"},
			want: map[string]string{"image": "http://127.0.0.1:2", "iam": "http://127.0.0.1:1",
				"load-balancer": "http://127.0.0.1:3", "tgw": "https://tgw.example.test"}},
		{name: "bad scheme", region: "kr-central-2", realm: "public",
			overrides: map[string]string{"iam": "ftp://x"}, wantErr: "http:// or https://"},
		{name: "credentials in the URL are refused without being repeated", region: "kr-central-2",
			realm: "public", overrides: map[string]string{"image": "https://user:hunter2@x"}, wantErr: "xxxxx@x"},
		{name: "query", region: "kr-central-2", realm: "public",
			overrides: map[string]string{"iam": "https://x/?a=b"}, wantErr: "query"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := resolveEndpoints(tc.region, tc.realm, tc.all, tc.overrides)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(serviceHosts) {
				t.Errorf("resolved %d services, want all %d", len(got), len(serviceHosts))
			}
			for k, v := range tc.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
