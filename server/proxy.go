package server

import (
	"fmt"
	"net/http"
	"net/netip"
	"regexp"
	"slices"
	"strings"
)

// ParseTrustedProxies reads a comma- or space-separated list of CIDR
// prefixes and addresses ("10.0.0.0/8, 127.0.0.1, ::1"): the reverse
// proxies whose forwarding headers links may follow.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(list, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR prefix such as 10.0.0.0/8", f)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is not an address or a CIDR prefix such as 10.0.0.0/8", f)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// trusts reports whether an address ("1.2.3.4", "[::1]:80", "1.2.3.4:5")
// is one of the proxies.
func trusts(proxies []netip.Prefix, addr string) bool {
	if len(proxies) == 0 {
		return false
	}
	a, err := netip.ParseAddr(strings.Trim(addr, "[]"))
	if err != nil {
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return false
		}
		a = ap.Addr()
	}
	a = a.Unmap()
	return slices.ContainsFunc(proxies, func(p netip.Prefix) bool { return p.Contains(a) })
}

// forwardedHostRE is a host and optional port as a proxy may report it:
// a DNS name or IPv4 address, or a bracketed IPv6 address. Anything else
// (paths, user info, spaces) is ignored rather than put into links.
var forwardedHostRE = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?$`)

// baseURL is where links point: the configured public URL, or the URL the
// client used. Forwarding headers say what that URL was only when the
// request came from a trusted proxy (Config.TrustedProxies); from anyone
// else they are ignored, or any client could put its own host into links
// that shared caches keep (Cache-Control: public).
func (s *Server) baseURL(r *http.Request) string {
	if s.cfg.BaseURL != "" {
		return strings.TrimSuffix(s.cfg.BaseURL, "/")
	}
	scheme, host := "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if trusts(s.cfg.TrustedProxies, r.RemoteAddr) {
		if fwd := r.Header.Values("Forwarded"); len(fwd) > 0 {
			scheme, host = s.forwarded(strings.Join(fwd, ","), scheme, host)
		} else {
			// A proxy that appends puts its own value last.
			if p := lastValue(r.Header.Values("X-Forwarded-Proto")); p != "" {
				scheme = strings.ToLower(p)
			}
			if h := lastValue(r.Header.Values("X-Forwarded-Host")); forwardedHostRE.MatchString(h) {
				host = h
			}
		}
	}
	if scheme != "http" && scheme != "https" {
		scheme = "http"
	}
	return scheme + "://" + host
}

// forwarded reads an RFC 7239 Forwarded header. Each proxy appends an
// element naming the peer it heard from (for=); walking from the right,
// the elements added by trusted proxies about trusted proxies are passed
// over, and the first about anyone else is the one that saw the client's
// request. Elements left of it are the client's own and count for
// nothing.
func (s *Server) forwarded(header, scheme, host string) (string, string) {
	elems := strings.Split(header, ",")
	for i := len(elems) - 1; i >= 0; i-- {
		var for_, proto, h string
		for _, pair := range strings.Split(elems[i], ";") {
			k, v, _ := strings.Cut(strings.TrimSpace(pair), "=")
			v = strings.Trim(strings.TrimSpace(v), `"`)
			switch strings.ToLower(k) {
			case "for":
				for_ = v
			case "proto":
				proto = strings.ToLower(v)
			case "host":
				h = v
			}
		}
		if proto != "" {
			scheme = proto
		}
		if forwardedHostRE.MatchString(h) {
			host = h
		}
		if !trusts(s.cfg.TrustedProxies, for_) {
			break
		}
	}
	return scheme, host
}

// lastValue is the last of the comma-separated values of a header.
func lastValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	parts := strings.Split(values[len(values)-1], ",")
	return strings.TrimSpace(parts[len(parts)-1])
}
