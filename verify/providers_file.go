package verify

import (
	"fmt"
	"os"
	"time"

	"github.com/mcpauth/mcpauth/internal/strictjson"
)

// maxProvidersFileBytes bounds a providers file.
const maxProvidersFileBytes = 1 << 20

// LoadProviders reads a providers file: a JSON array of [Provider] objects
// with the members issuer (required), jwks_uri, public_key, audiences,
// algorithms, required_scopes and leeway (a Go duration such as "30s").
// With neither jwks_uri nor public_key, the provider's keys are discovered
// from its issuer's metadata. Errors match [mcpauth.ErrInvalidConfig] and
// name the file, the entry and the member.
func LoadProviders(path string) ([]Provider, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, configErr("providers file: %v", err)
	}
	if fi.Size() > maxProvidersFileBytes {
		return nil, configErr("providers file %s is larger than %d bytes", path, maxProvidersFileBytes)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, configErr("providers file: %v", err)
	}
	ps, err := ParseProviders(data)
	if err != nil {
		return nil, fmt.Errorf("providers file %s: %w", path, err)
	}
	return ps, nil
}

// ParseProviders parses the contents of a providers file (see
// [LoadProviders]). The JSON is read strictly: UTF-8 only, no duplicate or
// unknown members, exact member names.
func ParseProviders(data []byte) ([]Provider, error) {
	// The strict reader takes objects: wrap the array in one.
	doc, err := strictjson.ParseObject(`{"providers":` + string(data) + "\n}")
	if err != nil {
		return nil, configErr("not a valid JSON array of provider objects: %v", err)
	}
	list, ok := doc["providers"].([]any)
	if !ok || len(doc) != 1 { // len: data cannot smuggle in another member
		return nil, configErr("not a JSON array of provider objects")
	}
	if len(list) == 0 {
		return nil, configErr("the array is empty; list at least one provider")
	}
	out := make([]Provider, 0, len(list))
	for i, raw := range list {
		obj, ok := raw.(map[string]any)
		if !ok {
			return nil, configErr("entry %d is not a JSON object", i+1)
		}
		p, err := parseProvider(obj)
		if err != nil {
			return nil, configErr("entry %d: %v", i+1, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseProvider reads one provider object.
func parseProvider(obj map[string]any) (Provider, error) {
	var p Provider
	for name, v := range obj {
		var err error
		switch name {
		case "issuer":
			p.Issuer, err = jsonString(name, v)
		case "jwks_uri":
			p.JWKSURI, err = jsonString(name, v)
		case "public_key":
			p.PublicKey, err = jsonString(name, v)
		case "audiences":
			p.Audiences, err = jsonStrings(name, v)
		case "algorithms":
			p.Algorithms, err = jsonStrings(name, v)
		case "required_scopes":
			p.RequiredScopes, err = jsonStrings(name, v)
		case "leeway":
			var s string
			if s, err = jsonString(name, v); err == nil {
				if p.Leeway, err = time.ParseDuration(s); err != nil || p.Leeway < 0 {
					err = fmt.Errorf("leeway %q is not a non-negative Go duration such as 30s", s)
				} else if p.Leeway == 0 {
					p.Leeway = -1 // no leeway, as Settings.Leeway
				}
			}
		default:
			err = fmt.Errorf("unknown member %q (known: issuer, jwks_uri, public_key, audiences, algorithms, required_scopes, leeway)", name)
		}
		if err != nil {
			return Provider{}, err
		}
	}
	if p.Issuer == "" {
		return Provider{}, fmt.Errorf("issuer is required")
	}
	return p, nil
}

func jsonString(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is not a string", name)
	}
	return s, nil
}

func jsonStrings(name string, v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s is not an array of strings", name)
	}
	out := make([]string, len(list))
	for i, m := range list {
		s, ok := m.(string)
		if !ok {
			return nil, fmt.Errorf("%s has a member that is not a string", name)
		}
		out[i] = s
	}
	return out, nil
}
