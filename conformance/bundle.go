package conformance

import (
	"fmt"
	"strings"
)

// bundleEntryRules checks the Bundle rules of R4 that are stated in prose
// rather than as invariants (bundle.html "fullUrl", http.html#transaction):
//   - a fullUrl that is not a urn:uuid:/urn:oid: SHALL agree with the
//     resource's type and id;
//   - in a transaction or batch, POST and PUT carry a resource; unless the
//     url invokes an operation ($name), POST's url is the resource's type and
//     PUT's url names the resource's type (and its id, when both are given).
func (w *walker) bundleEntryRules(bundle map[string]any) {
	btype := str(bundle, "type")
	txn := btype == "transaction" || btype == "batch"
	entries, _ := bundle["entry"].([]any)
	for i, e := range entries {
		eo, ok := e.(map[string]any)
		if !ok {
			continue
		}
		res, _ := eo["resource"].(map[string]any)
		rt, id := str(res, "resourceType"), str(res, "id")
		mark := w.push("entry")
		im := w.pushIndex(i)
		if fu := str(eo, "fullUrl"); fu != "" && res != nil && !strings.HasPrefix(fu, "urn:") {
			if urlType, urlID, _, ok := typeAndID(fu); ok && (urlType != rt || (id != "" && urlID != id)) {
				w.addAt(SeverityError, CodeInvalid, "fullUrl disagrees with the resource's type or id", ".fullUrl")
			}
		}
		if req, ok := eo["request"].(map[string]any); ok && txn {
			method, url := str(req, "method"), str(req, "url")
			if (method == "POST" || method == "PUT") && res == nil {
				w.addAt(SeverityError, CodeInvalid, method+" needs a resource", ".resource")
			}
			// An operation ("ValueSet/$lookup") takes any body, usually Parameters.
			if res != nil && url != "" && !strings.Contains(url, "$") {
				path := url
				if q := strings.IndexByte(path, '?'); q >= 0 {
					path = path[:q]
				}
				segs := strings.Split(path, "/")
				switch method {
				case "POST":
					if path != rt {
						w.addAt(SeverityError, CodeInvalid, fmt.Sprintf("POST url must be the resource type %s", rt), ".request.url")
					}
				case "PUT":
					if segs[0] != rt {
						w.addAt(SeverityError, CodeInvalid, fmt.Sprintf("PUT url must name the resource type %s", rt), ".request.url")
					} else if len(segs) == 2 && id != "" && segs[1] != id {
						w.addAt(SeverityError, CodeInvalid, "PUT url id differs from the resource id", ".request.url")
					}
				}
			}
		}
		w.pop(im)
		w.pop(mark)
	}
}
