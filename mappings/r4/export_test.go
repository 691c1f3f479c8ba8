package r4

import "reflect"

// TypedOnly marshals r (and every resource nested in it) from its typed fields
// alone, as if it had been built in code: the recorded deltas are cleared.
// It modifies r. Tests use it to check what ivbridge itself writes.
func TypedOnly(r Resource) ([]byte, error) {
	clearDeltas(reflect.ValueOf(r))
	return Marshal(r)
}

// HasDelta reports whether a typed resource carries unmodelled content.
func HasDelta(r Resource) bool {
	t, ok := r.(typedResource)
	return ok && *t.restPtr() != nil
}

func clearDeltas(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return
		}
		if v.Kind() == reflect.Pointer && v.CanInterface() {
			if t, ok := v.Interface().(typedResource); ok {
				*t.restPtr() = nil
			}
		}
		clearDeltas(v.Elem())
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				clearDeltas(v.Field(i))
			}
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			clearDeltas(v.Index(i))
		}
	}
}
