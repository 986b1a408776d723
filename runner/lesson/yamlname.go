package lesson

import (
	"reflect"
	"strings"
)

// yamlName is the key a struct field is written as in lesson.yaml: its yaml
// tag, else its name with a lower-case first letter.
func yamlName(f reflect.StructField) string {
	tag := f.Tag.Get("yaml")
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return strings.ToLower(f.Name[:1]) + f.Name[1:]
	}
	return name
}
