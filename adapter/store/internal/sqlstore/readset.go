package sqlstore

import (
	"context"
	"fmt"

	"github.com/ivbridge/ivbridge/adapter/store"
)

// readSet makes the reads of several Reads (and the held records of a
// write) as one batch of statements: one statement for every record
// named, and each list or search that several of them name read once.
// The writes of a group commit mostly concern the same patients, so
// their checks read the same plans, reactions and allergies; every Reads
// still gets its own results.
type readSet struct {
	keys    []source
	keyIdx  map[source]bool
	lists   []listRead
	listIdx map[store.ListQuery]int
	// searches are keyed by their statement: a ResourceQuery is not
	// comparable, and equal statements read the same rows.
	searches  []searchRead
	searchIdx map[string]int
	members   []readMember

	found map[source]store.StoredRecord
}

type listRead struct {
	stmt  Stmt
	limit int
	page  store.RecordPage
}

type searchRead struct {
	rq    store.ResourceQuery
	sq    searchStmt
	page  store.ResourcePage
	later bool // the page alone does not tell the total (finish)
}

// readMember is one Reads of the set: where its results are.
type readMember struct {
	keys     []source
	lists    []int
	searches []int
}

func newReadSet() *readSet {
	return &readSet{keyIdx: map[source]bool{}, listIdx: map[store.ListQuery]int{}, searchIdx: map[string]int{}}
}

// addKeys adds records to read.
func (rs *readSet) addKeys(keys []source) {
	for _, k := range keys {
		if !rs.keyIdx[k] {
			rs.keyIdx[k] = true
			rs.keys = append(rs.keys, k)
		}
	}
}

// add adds r and returns its member number for results. A list or
// search that cannot be read is an error, and nothing of r is added.
func (rs *readSet) add(r store.Reads) (int, error) {
	m := readMember{keys: sourcesOf(r.Records)}
	var lists []listRead
	for _, lq := range r.Lists {
		if i, ok := rs.listIdx[lq]; ok {
			m.lists = append(m.lists, i)
			continue
		}
		st, limit, err := listStmt(lq)
		if err != nil {
			return 0, err
		}
		m.lists = append(m.lists, -1-len(lists)) // placed below
		lists = append(lists, listRead{stmt: st, limit: limit})
	}
	var searches []searchRead
	var searchKeys []string
	for _, rq := range r.Searches {
		sq, err := searchStmts(rq)
		if err != nil {
			return 0, err
		}
		key := sq.page.Query + "\x00" + fmt.Sprint(sq.page.Args...)
		if i, ok := rs.searchIdx[key]; ok {
			m.searches = append(m.searches, i)
			continue
		}
		m.searches = append(m.searches, -1-len(searches))
		searches = append(searches, searchRead{rq: rq, sq: sq})
		searchKeys = append(searchKeys, key)
	}
	// Nothing failed: place r's new reads.
	for i, li := range m.lists {
		if li < 0 {
			n := len(rs.lists)
			rs.lists = append(rs.lists, lists[-1-li])
			rs.listIdx[r.Lists[i]] = n
			m.lists[i] = n
		}
	}
	for i, si := range m.searches {
		if si < 0 {
			n := len(rs.searches)
			rs.searches = append(rs.searches, searches[-1-si])
			rs.searchIdx[searchKeys[-1-si]] = n
			m.searches[i] = n
		}
	}
	rs.addKeys(m.keys)
	rs.members = append(rs.members, m)
	return len(rs.members) - 1, nil
}

// stmts are the set's statements and the readers of their rows, in
// order: the records, the lists, the searches.
func (rs *readSet) stmts() ([]Stmt, []func(Rows) error) {
	rs.found = make(map[source]store.StoredRecord, len(rs.keys))
	var stmts []Stmt
	var scans []func(Rows) error
	for _, st := range recordsStmts(rs.keys) {
		stmts = append(stmts, st)
		scans = append(scans, func(rows Rows) error {
			recs, err := scanAll(rows, scanRecord)
			for _, r := range recs {
				rs.found[source{r.Kind, r.ID}] = r
			}
			return err
		})
	}
	for i := range rs.lists {
		l := &rs.lists[i]
		stmts = append(stmts, l.stmt)
		scans = append(scans, func(rows Rows) error {
			recs, err := scanAll(rows, scanRecord)
			l.page = pageOf(recs, l.limit)
			return err
		})
	}
	for i := range rs.searches {
		sr := &rs.searches[i]
		stmts = append(stmts, sr.sq.page)
		scans = append(scans, func(rows Rows) error {
			res, err := scanAll(rows, scanResource)
			if err != nil {
				return err
			}
			total, ok := sr.sq.totalOf(len(res))
			sr.page, sr.later = store.ResourcePage{Resources: res, Total: total}, !ok
			return nil
		})
	}
	return stmts, scans
}

// finish reads the searches whose page did not tell their total, as
// SearchResources reads them.
func (rs *readSet) finish(ctx context.Context, s *Store) error {
	for i := range rs.searches {
		sr := &rs.searches[i]
		if !sr.later {
			continue
		}
		page, err := s.SearchResources(ctx, sr.rq)
		if err != nil {
			return err
		}
		sr.page, sr.later = page, false
	}
	return nil
}

// held is what the set read of the record k.
func (rs *readSet) held(k source) (store.StoredRecord, bool) {
	r, ok := rs.found[k]
	return r, ok
}

// results are member m's results, as ReadMany returns them.
func (rs *readSet) results(m int) store.ReadResults {
	mb := rs.members[m]
	out := store.ReadResults{
		Lists:    make([]store.RecordPage, len(mb.lists)),
		Searches: make([]store.ResourcePage, len(mb.searches)),
	}
	for _, k := range mb.keys {
		if r, ok := rs.found[k]; ok {
			out.Records = append(out.Records, r)
		}
	}
	for i, li := range mb.lists {
		out.Lists[i] = rs.lists[li].page
	}
	for i, si := range mb.searches {
		out.Searches[i] = rs.searches[si].page
	}
	return out
}

// read makes the set's reads on q, after pre (the record locks of a
// write, whose rows are nothing to read), in one batch where q can.
func (rs *readSet) read(ctx context.Context, s *Store, q Querier, pre []Stmt) error {
	stmts, scans := rs.stmts()
	all := append(pre[:len(pre):len(pre)], stmts...)
	err := queryEach(ctx, q, all, func(i int, rows Rows) error {
		if i < len(pre) {
			return nil
		}
		return scans[i-len(pre)](rows)
	})
	if err != nil {
		return err
	}
	return rs.finish(ctx, s)
}
