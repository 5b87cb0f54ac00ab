package store

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// A typed settings struct names the parameter behind each field in a
// `param:"NAME"` tag. The tag is the only place the name is written: the
// decoder reads the value under it, and the enforcement test checks every
// enforced spec against the tags. A struct's fields are mapped to their
// table once, when the package loads.

// fieldMap ties the tagged fields of one struct type to the specs of one
// table.
type fieldMap struct {
	typ    reflect.Type
	table  *ParamTable
	fields []mappedField
}

type mappedField struct {
	index int
	spec  *ParamSpec
}

var durationType = reflect.TypeOf(time.Duration(0))

// mapFields maps the tagged fields of the struct that v points to. A tag
// naming no parameter of t, or a field of a type the decoder cannot fill,
// is a programming error, found as soon as the package loads.
func mapFields(v any, t *ParamTable) *fieldMap {
	typ := reflect.TypeOf(v).Elem()
	m := &fieldMap{typ: typ, table: t}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		name, ok := f.Tag.Lookup("param")
		if !ok {
			continue
		}
		s, ok := t.Lookup(name)
		if !ok || s.Name != name {
			panic(fmt.Sprintf("store: %s.%s: %q is not a %s parameter", typ.Name(), f.Name, name, t.Name))
		}
		if !decodable(f.Type, s.Kind) {
			panic(fmt.Sprintf("store: %s.%s: a %s cannot hold parameter %s", typ.Name(), f.Name, f.Type, name))
		}
		m.fields = append(m.fields, mappedField{index: i, spec: s})
	}
	return m
}

func decodable(t reflect.Type, k ParamKind) bool {
	switch {
	case t == durationType:
		return k == KindDuration
	case t.Kind() == reflect.Int || t.Kind() == reflect.Int64:
		return k == KindInt || k == KindSize || k == KindDuration || k == KindCode
	case t.Kind() == reflect.Bool:
		return k == KindOnOff
	case t.Kind() == reflect.String:
		return k == KindString || k == KindEnum
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return k == KindList
	}
	return false
}

// decode fills the tagged fields of dst (a pointer to m's struct type)
// from layers, the first that holds a parameter giving its value (an
// object's overrides, then what it inherits). A parameter that no layer
// holds, or (in a tree that was never validated) that is not in
// canonical form, takes its spec's default, so that no missing key turns
// a limit off.
func (m *fieldMap) decode(dst any, layers ...Params) {
	v := reflect.ValueOf(dst).Elem()
	for _, f := range m.fields {
		raw, ok := "", false
		for _, p := range layers {
			if raw, ok = p[f.spec.Name]; ok {
				break
			}
		}
		if !ok || !setField(v.Field(f.index), raw) {
			setField(v.Field(f.index), f.spec.Default)
		}
	}
}

// setField stores a canonical value; false when it does not parse.
// Durations are canonical in seconds.
func setField(f reflect.Value, raw string) bool {
	switch {
	case f.Type() == durationType:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return false
		}
		f.SetInt(n * int64(time.Second))
	case f.Kind() == reflect.Int || f.Kind() == reflect.Int64:
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return false
		}
		f.SetInt(n)
	case f.Kind() == reflect.Bool:
		f.SetBool(raw == "on")
	case f.Kind() == reflect.String:
		f.SetString(raw)
	case f.Kind() == reflect.Slice:
		var l []string
		if raw != "" {
			l = strings.Split(raw, ",")
		}
		f.Set(reflect.ValueOf(l))
	}
	return true
}

// field returns the addressable field that holds parameter name in the
// struct that ptr points to (invalid when none does).
func (m *fieldMap) field(ptr any, name string) reflect.Value {
	for _, f := range m.fields {
		if f.spec.Name == name {
			return reflect.ValueOf(ptr).Elem().Field(f.index)
		}
	}
	return reflect.Value{}
}

// Tags lists the parameters the struct's fields hold, in field order.
func (m *fieldMap) tags() []string {
	n := make([]string, len(m.fields))
	for i, f := range m.fields {
		n[i] = f.spec.Name
	}
	return n
}
