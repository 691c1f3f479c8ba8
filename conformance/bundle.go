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
func (w *walker) bundleEntryRules(bundle jval) {
	btype := str(bundle, "type")
	txn := btype == "transaction" || btype == "batch"
	entries := bundle.get("entry")
	if entries.kind() != jArray {
		return
	}
	i := -1
	for eo := entries.first(); eo.ok(); eo = eo.next() {
		i++
		if eo.kind() != jObject {
			continue
		}
		res := obj(eo, "resource")
		rt, id := str(res, "resourceType"), str(res, "id")
		mark := w.push("entry")
		im := w.pushIndex(i)
		if fu := str(eo, "fullUrl"); fu != "" && res.ok() && !strings.HasPrefix(fu, "urn:") {
			if urlType, urlID, _, ok := typeAndID(fu); ok && (urlType != rt || (id != "" && urlID != id)) {
				w.addAt(SeverityError, CodeInvalid, "fullUrl disagrees with the resource's type or id", ".fullUrl")
			}
		}
		if req := obj(eo, "request"); req.ok() && txn {
			method, url := str(req, "method"), str(req, "url")
			if (method == "POST" || method == "PUT") && !res.ok() {
				w.addAt(SeverityError, CodeInvalid, method+" needs a resource", ".resource")
			}
			// An operation ("ValueSet/$lookup") takes any body, usually Parameters.
			if res.ok() && url != "" && !strings.Contains(url, "$") {
				path := url
				if q := strings.IndexByte(path, '?'); q >= 0 {
					path = path[:q]
				}
				// Cut, not Split: this runs for every entry of every Bundle.
				typ, urlID, hasID := strings.Cut(path, "/")
				switch method {
				case "POST":
					if path != rt {
						w.addAt(SeverityError, CodeInvalid, fmt.Sprintf("POST url must be the resource type %s", rt), ".request.url")
					}
				case "PUT":
					if typ != rt {
						w.addAt(SeverityError, CodeInvalid, fmt.Sprintf("PUT url must name the resource type %s", rt), ".request.url")
					} else if hasID && !strings.Contains(urlID, "/") && id != "" && urlID != id {
						w.addAt(SeverityError, CodeInvalid, "PUT url id differs from the resource id", ".request.url")
					}
				}
			}
		}
		w.pop(im)
		w.pop(mark)
	}
}
