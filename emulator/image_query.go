package emulator

import (
	"cmp"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

var (
	imageSortKeys = map[string]func(a, b *imageState) int{
		"created_at":    func(a, b *imageState) int { return a.CreatedAt.Compare(b.CreatedAt) },
		"updated_at":    func(a, b *imageState) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
		"name":          func(a, b *imageState) int { return cmp.Compare(a.Name, b.Name) },
		"id":            func(a, b *imageState) int { return cmp.Compare(a.ID, b.ID) },
		"status":        func(a, b *imageState) int { return cmp.Compare(a.Status, b.Status) },
		"size":          func(a, b *imageState) int { return cmp.Compare(a.Size, b.Size) },
		"virtual_size":  func(a, b *imageState) int { return cmp.Compare(a.VirtualSize, b.VirtualSize) },
		"min_disk":      func(a, b *imageState) int { return cmp.Compare(a.MinDisk, b.MinDisk) },
		"min_ram":       func(a, b *imageState) int { return cmp.Compare(a.MinRAM, b.MinRAM) },
		"disk_format":   func(a, b *imageState) int { return cmp.Compare(a.DiskFormat, b.DiskFormat) },
		"instance_type": func(a, b *imageState) int { return cmp.Compare(a.InstanceType, b.InstanceType) },
	}
	enumFilters = map[string][]string{
		"instance_type":       instanceTypes,
		"image_type":          {"basic", "my"},
		"status":              imageStatuses,
		"visibility":          {visibilityPublic, visibilityPrivate, visibilityShared},
		"image_member_status": {memberPending, memberAccepted, "rejected"},
		"os_type":             osTypes,
	}
	comparisonOps = []string{"eq", "neq", "gt", "gte", "lt", "lte"}
)

func (s *Server) listImages(w http.ResponseWriter, r *http.Request) {
	cred, ok := s.prepare(w, r, route{name: RouteListImages})
	if !ok {
		return
	}
	q := r.URL.Query()
	s.mu.Lock()
	maxPage, st := s.settings.maxPageSize, s.settings
	s.mu.Unlock()

	limit, offset, problems := parsePage(q, maxPage)
	filter, filterProblems := parseImageFilter(q)
	order, orderProblems := parseImageOrder(q)
	problems = append(append(problems, filterProblems...), orderProblems...)
	if len(problems) > 0 {
		writeValidation(w, problems)
		return
	}
	limit = st.pageLimit(limit)

	s.mu.Lock()
	now := s.now()
	var matched []*imageState
	views := map[*imageState]imageBody{}
	for id := range s.images {
		img, rel := s.relationLocked(id, cred.ProjectID, now)
		if rel == relationNone {
			continue
		}
		view := s.imageViewLocked(img, cred.ProjectID, now)
		if filter.matches(img, view, cred.ProjectID) {
			matched = append(matched, img)
			views[img] = view
		}
	}
	s.mu.Unlock()

	slices.SortFunc(matched, order.compare)
	page := make([]imageBody, 0, min(limit, max(len(matched)-offset, 0)))
	for i := offset; i < len(matched) && len(page) < limit; i++ {
		page = append(page, views[matched[i]])
	}
	writeJSON(w, http.StatusOK, imageListBody{
		Images: page, Pagination: paginationBody{Total: len(matched), Offset: offset, Limit: limit},
	})
}

// parsePage reads limit and offset; limit defaults to 20 and may not pass maxPage.
func parsePage(q url.Values, maxPage int) (int, int, []fieldProblem) {
	var problems []fieldProblem
	limit, offset := min(defaultPageSize, maxPage), 0
	if _, ok := q["limit"]; ok {
		n, err := strconv.Atoi(q.Get("limit"))
		switch {
		case err != nil:
			problems = append(problems, problem("query", "limit",
				"Input should be a valid integer", "int_parsing"))
		case n < 1:
			problems = append(problems, problem("query", "limit",
				"Input should be greater than or equal to 1", "greater_than_equal"))
		case n > maxPage:
			problems = append(problems, problem("query", "limit",
				"Input should be less than or equal to "+strconv.Itoa(maxPage), "less_than_equal"))
		default:
			limit = n
		}
	}
	if _, ok := q["offset"]; ok {
		n, err := strconv.Atoi(q.Get("offset"))
		switch {
		case err != nil:
			problems = append(problems, problem("query", "offset",
				"Input should be a valid integer", "int_parsing"))
		case n < 0:
			problems = append(problems, problem("query", "offset",
				"Input should be greater than or equal to 0", "greater_than_equal"))
		default:
			offset = n
		}
	}
	return limit, offset, problems
}

func parseImageFilter(q url.Values) (imageFilter, []fieldProblem) {
	f := imageFilter{exact: map[string]string{}}
	var problems []fieldProblem
	for name, allowed := range enumFilters {
		if !q.Has(name) {
			continue
		}
		v := q.Get(name)
		if name == "os_type" {
			v = strings.ToUpper(v)
		}
		if !slices.Contains(allowed, v) {
			problems = append(problems, problem("query", name,
				"Input should be one of: "+strings.Join(allowed, ", "), "enum"))
			continue
		}
		f.exact[name] = v
	}
	if q.Has("id") {
		if !isImageID(q.Get("id")) {
			problems = append(problems, problem("query", "id", "Input should be a valid UUID", "uuid_parsing"))
		} else {
			f.exact["id"] = lower(q.Get("id"))
		}
	}
	for _, name := range []string{"name", "disk_format"} {
		if q.Has(name) {
			f.exact[name] = q.Get(name)
		}
	}
	for _, name := range []string{"size", "min_disk", "created_at", "updated_at"} {
		if !q.Has(name) {
			continue
		}
		c, ok := parseComparison(name, q.Get(name))
		if !ok {
			problems = append(problems, problem("query", name,
				"Input should be a value or one of eq:, neq:, gt:, gte:, lt:, lte: followed by a value",
				"value_error"))
			continue
		}
		f.comparisons = append(f.comparisons, c)
	}
	return f, problems
}

func parseComparison(field, raw string) (comparison, bool) {
	c := comparison{field: field, op: "eq"}
	if op, rest, ok := strings.Cut(raw, ":"); ok && slices.Contains(comparisonOps, op) {
		c.op, raw = op, rest
	}
	if field == "created_at" || field == "updated_at" {
		t, err := time.Parse(time.RFC3339, raw)
		c.when = t
		return c, err == nil
	}
	n, err := strconv.ParseInt(raw, 10, 64)
	c.number = n
	return c, err == nil
}

func parseImageOrder(q url.Values) (imageOrder, []fieldProblem) {
	keys := []string{"created_at"}
	if q.Has("sort_keys") {
		keys = strings.Split(q.Get("sort_keys"), ",")
	}
	var dirs []string
	if q.Has("sort_dirs") {
		dirs = strings.Split(q.Get("sort_dirs"), ",")
	}

	var problems []fieldProblem
	order := imageOrder{}
	for _, k := range keys {
		fn, ok := imageSortKeys[strings.TrimSpace(k)]
		if !ok {
			problems = append(problems, problem("query", "sort_keys", "Unknown sort key", "enum"))
			break
		}
		order.keys = append(order.keys, fn)
	}
	for _, d := range dirs {
		d = strings.TrimSpace(d)
		if d != "asc" && d != "desc" {
			problems = append(problems, problem("query", "sort_dirs", "Input should be 'asc' or 'desc'", "enum"))
			break
		}
		order.desc = append(order.desc, d == "desc")
	}
	if len(dirs) > 1 && len(dirs) != len(keys) {
		problems = append(problems, problem("query", "sort_dirs",
			"Give one direction, or one for each sort key", "value_error"))
	}
	return order, problems
}

func (o imageOrder) compare(a, b *imageState) int {
	for i, fn := range o.keys {
		desc := true // the API's default direction
		switch {
		case len(o.desc) == 1:
			desc = o.desc[0]
		case i < len(o.desc):
			desc = o.desc[i]
		}
		if c := fn(a, b); c != 0 {
			if desc {
				return -c
			}
			return c
		}
	}
	return cmp.Compare(a.ID, b.ID) // a total order keeps pages stable
}

func (f imageFilter) matches(img *imageState, view imageBody, caller string) bool {
	for name, want := range f.exact {
		var got string
		switch name {
		case "id":
			got = img.ID
		case "name":
			got = img.Name
		case "disk_format":
			got = img.DiskFormat
		case "instance_type":
			got = img.InstanceType
		case "status":
			got = img.Status
		case "visibility":
			got = deref(view.Visibility)
		case "image_member_status":
			got = deref(view.ImageMemberStatus)
		case "os_type":
			if img.OSInfo != nil {
				got = img.OSInfo.Type
			}
		case "image_type":
			got = "other"
			switch {
			case img.Visibility == visibilityPublic:
				got = "basic"
			case img.Owner == caller:
				got = "my"
			}
		}
		if got != want {
			return false
		}
	}
	for _, c := range f.comparisons {
		if !c.matches(img) {
			return false
		}
	}
	return true
}

func (c comparison) matches(img *imageState) bool {
	var order int
	switch c.field {
	case "size":
		order = cmp.Compare(img.Size, c.number)
	case "min_disk":
		order = cmp.Compare(img.MinDisk, c.number)
	case "created_at":
		order = img.CreatedAt.Compare(c.when)
	case "updated_at":
		order = img.UpdatedAt.Compare(c.when)
	}
	switch c.op {
	case "neq":
		return order != 0
	case "gt":
		return order > 0
	case "gte":
		return order >= 0
	case "lt":
		return order < 0
	case "lte":
		return order <= 0
	}
	return order == 0
}

type imageFilter struct {
	exact       map[string]string
	comparisons []comparison
}

type comparison struct {
	field  string
	op     string
	number int64
	when   time.Time
}

type imageOrder struct {
	keys []func(a, b *imageState) int
	desc []bool
}
