package uplink

// ExportListings returns how many times the uplink has listed the local
// registrations to reconcile its exports.
func (u *Uplink) ExportListings() uint64 { return u.exportListings.Load() }
