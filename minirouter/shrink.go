package minirouter

// Go maps never give back the room of deleted entries: a realm whose
// sessions once held many subscriptions or registrations would keep their
// tables' size after they left. When a session leaves a realm whose
// tables hold at most a quarter of what they held at their largest (and
// that was worth the copy), the realm rebuilds them at their present size.

// shrinkMinEntries is the size below which tables are not worth rebuilding.
const shrinkMinEntries = 1024

// tableEntries is the count the realm's tables are sized by.
func (rl *realm) tableEntries() int { return len(rl.subByID) + len(rl.regByID) }

// noteTables records the tables' size before a session leaves. rl.mu must
// be held.
func (rl *realm) noteTables() { rl.tablesPeak = max(rl.tablesPeak, rl.tableEntries()) }

// shrinkTables rebuilds the realm's maps when they hold at most a quarter
// of their peak. rl.mu must be held.
func (rl *realm) shrinkTables() {
	n := rl.tableEntries()
	if rl.tablesPeak < shrinkMinEntries || n > rl.tablesPeak/4 {
		return
	}
	rl.tablesPeak = n
	rl.subByID = rebuilt(rl.subByID)
	rl.regByID = rebuilt(rl.regByID)
	rl.subs.shrink()
	rl.regs.shrink()
	rl.members = rebuilt(rl.members)
}

// shrink rebuilds t's maps at their present size.
func (t *table[T]) shrink() {
	t.exact = rebuilt(t.exact)
	t.prefix = rebuilt(t.prefix)
	t.lenCount = rebuilt(t.lenCount)
	t.wild.shrink()
}

// shrink rebuilds the children maps of n's subtree.
func (n *wnode[T]) shrink() {
	if n.children != nil {
		n.children = rebuilt(n.children)
		for _, c := range n.children {
			c.shrink()
		}
	}
	if n.any != nil {
		n.any.shrink()
	}
}

// rebuilt returns a copy of m sized for its entries (maps.Clone keeps the
// room of the original).
func rebuilt[K comparable, V any](m map[K]V) map[K]V {
	out := make(map[K]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
