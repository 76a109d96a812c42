package web

import (
	"encoding/csv"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file writes a report's rows as CSV: the same rows and figures as its
// JSON, one column per JSON field. Nested objects become "parent.child"
// columns and maps (the interval metrics) one column per key; a value
// missing from a row is an empty cell, as is null.

type csvField struct {
	name, value string
}

var timeType = reflect.TypeFor[time.Time]()

// flatten appends the JSON fields of v under prefix.
func flatten(prefix string, v reflect.Value, out []csvField) []csvField {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return append(out, csvField{prefix, ""})
		}
		v = v.Elem()
	}
	switch {
	case v.Type() == timeType:
		return append(out, csvField{prefix, v.Interface().(time.Time).UTC().Format(time.RFC3339)})
	case v.Kind() == reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if f.Anonymous && name == "" { // embedded: its fields, as JSON has them
				out = flatten(prefix, v.Field(i), out)
				continue
			}
			if name == "" {
				name = f.Name
			}
			out = flatten(joinName(prefix, name), v.Field(i), out)
		}
		return out
	case v.Kind() == reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, fmt.Sprint(k.Interface()))
		}
		slices.Sort(keys)
		for _, k := range keys {
			out = flatten(joinName(prefix, k), v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key())), out)
		}
		return out
	}
	return append(out, csvField{prefix, scalar(v)})
}

func joinName(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func scalar(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64)
	case reflect.String:
		return safeText(v.String())
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = scalar(v.Index(i))
		}
		return strings.Join(parts, " ")
	}
	return fmt.Sprint(v.Interface())
}

// safeText keeps a spreadsheet from running a text cell as a formula: text
// starting with = + - @ or a tab or carriage return gets a leading
// apostrophe (OWASP's advice on CSV injection). Numbers are not text.
func safeText(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// writeCSV writes rows, a slice of structs, with a header row. Columns
// appear in the order of their first appearance.
func writeCSV(w io.Writer, rows any) error {
	rv := reflect.ValueOf(rows)
	var records [][]csvField
	var cols []string
	index := map[string]int{}
	for i := range rv.Len() {
		fields := flatten("", rv.Index(i), nil)
		for _, f := range fields {
			if _, ok := index[f.name]; !ok {
				index[f.name] = len(cols)
				cols = append(cols, f.name)
			}
		}
		records = append(records, fields)
	}
	if len(cols) == 0 { // no rows: the header of the row type
		cols = columnsOf(rv.Type().Elem())
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	line := make([]string, len(cols))
	for _, fields := range records {
		clear(line)
		for _, f := range fields {
			line[index[f.name]] = f.value
		}
		if err := cw.Write(line); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// columnsOf names the columns of an empty report from its row type.
func columnsOf(t reflect.Type) []string {
	var names []string
	for _, f := range flatten("", reflect.New(t).Elem(), nil) {
		names = append(names, f.name)
	}
	return names
}
