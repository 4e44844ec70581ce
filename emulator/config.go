package emulator

import (
	"net/http"
)

// serviceKeys are the keys the vendor's endpoint-resolution client understands.
var serviceKeys = []string{
	"iam", "vpc", "network", "load-balancer", "volume", "image", "bcs", "kubernetes-engine", "tgw", "mysql",
}

func (s *Server) resolveEndpoints(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		writeError(w, http.StatusUnauthorized, unauthorizedMessage)
		return
	}
	base := s.URL()
	if base == "" {
		// Mounted as a plain handler: the address the client used is the best answer there is.
		base = "http://" + r.Host
	}
	endpoints := make(map[string]string, len(serviceKeys)+1)
	for _, k := range serviceKeys {
		endpoints[k] = base
	}
	endpoints["config"] = base

	stamp := formatTime(fixtureEpoch)
	writeJSON(w, http.StatusOK, endpointsBody{Success: true, Data: endpointsData{
		ID: derivedHex("kakaocloud-emulator/endpoints"), ServiceEndpoints: endpoints, Priority: 0,
		CreatedBy: "kakaocloud-emulator", UpdatedBy: "kakaocloud-emulator", CreatedAt: stamp, UpdatedAt: stamp,
	}})
}

func (s *Server) resolveAZPolicies(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(r); !ok {
		writeError(w, http.StatusUnauthorized, unauthorizedMessage)
		return
	}
	zones := []string{"kr-central-2-a", "kr-central-2-b", "kr-central-2-c"}
	services := map[string][]string{}
	for _, k := range []string{"bcs", "volume", "network", "load-balancer", "kubernetes-engine", "mysql"} {
		services[k] = zones
	}
	writeJSON(w, http.StatusOK, azPoliciesBody{Success: true, Data: azPoliciesData{
		ID: derivedHex("kakaocloud-emulator/az-policies"), Services: services, Priority: 0,
		CreatedBy: "kakaocloud-emulator", UpdatedBy: "kakaocloud-emulator",
	}})
}

type endpointsBody struct {
	Success bool          `json:"success"`
	Data    endpointsData `json:"data"`
}

type endpointsData struct {
	ID               string            `json:"id"`
	ServiceEndpoints map[string]string `json:"service_endpoints"`
	Priority         int               `json:"priority"`
	CreatedBy        string            `json:"created_by"`
	UpdatedBy        string            `json:"updated_by"`
	CreatedAt        string            `json:"created_at"`
	UpdatedAt        string            `json:"updated_at"`
}

type azPoliciesBody struct {
	Success bool           `json:"success"`
	Data    azPoliciesData `json:"data"`
}

type azPoliciesData struct {
	ID        string              `json:"id"`
	Services  map[string][]string `json:"services"`
	Priority  int                 `json:"priority"`
	CreatedBy string              `json:"created_by"`
	UpdatedBy string              `json:"updated_by"`
}
