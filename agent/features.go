package agent

// BuildLacks lists the optional features this build leaves out, by the
// build tags that removed them: "tls" (edgewamp_notls: no rss:// routers)
// and "auth" (edgewamp_noauth: no credentials). It is empty for the full
// build. A configuration that needs a missing feature fails [Config.Validate]
// with an error naming the key and the tag.
func BuildLacks() []string {
	var l []string
	if !buildHasTLS {
		l = append(l, "tls")
	}
	if !buildHasAuth {
		l = append(l, "auth")
	}
	return l
}
