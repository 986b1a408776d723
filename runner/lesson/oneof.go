package lesson

import (
	"reflect"
	"strings"
)

// setFields returns the YAML names of the non-nil pointer fields of a one-of
// struct (Action, Check), in declaration order.
func setFields(v any) []string {
	rv := reflect.ValueOf(v)
	rt := rv.Type()
	var out []string
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Type.Kind() != reflect.Pointer || f.Type.Elem().Kind() != reflect.Struct {
			continue
		}
		if !rv.Field(i).IsNil() {
			out = append(out, yamlName(f))
		}
	}
	return out
}

// oneOfNames lists every kind name of a one-of struct type.
func oneOfNames(v any) []string {
	rt := reflect.TypeOf(v)
	var out []string
	for i := 0; i < rt.NumField(); i++ {
		f := rt.Field(i)
		if f.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() == reflect.Struct {
			out = append(out, yamlName(f))
		}
	}
	return out
}

// ActionKinds lists every action kind, as written in lesson.yaml.
func ActionKinds() []string { return oneOfNames(Action{}) }

// CheckKinds lists every check kind, as written in lesson.yaml.
func CheckKinds() []string { return oneOfNames(Check{}) }

func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return strings.ToLower(f.Name[:1]) + f.Name[1:]
	}
	return name
}
