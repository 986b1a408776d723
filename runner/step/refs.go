package step

// Field groups shared by several kinds. Each kind embeds the one it needs
// with `yaml:",inline"`, so lesson.yaml writes the fields directly under the
// kind, e.g. `exists: {kind: Service, name: mysql}`.

// ObjectRef names objects of one kind, by name or by label selector.
type ObjectRef struct {
	// Kind is the object's kind, e.g. Pod, Service, PersistentVolumeClaim
	// (or Kind.group, e.g. StatefulSet.apps).
	Kind string `yaml:"kind"`
	// Name of one object; or Selector.
	Name string `yaml:"name"`
	// Selector is a label selector, e.g. app=mysql.
	Selector string `yaml:"selector"`
}

// what is the name, else the selector, for messages.
func (r ObjectRef) what() string {
	if r.Name != "" {
		return r.Name
	}
	return r.Selector
}

// PodRef names a pod and optionally one of its containers.
type PodRef struct {
	// Pod is the pod's name.
	Pod string `yaml:"pod"`
	// Container is the container's name (where it matters).
	Container string `yaml:"container"`
}

// SQLTarget says where a SQL statement goes: to one pod, or through a
// service (one of its ready endpoints, picked per connection).
type SQLTarget struct {
	// Pod sends the statement to this pod (port 3306).
	Pod string `yaml:"pod"`
	// Service sends the statement to one ready endpoint of this service.
	Service string `yaml:"service"`
	// User defaults to root (empty password).
	User string `yaml:"user"`
}

// NodeOp names a node directly or through the pod that runs on it.
type NodeOp struct {
	// Pod selects the node that runs this pod when the action starts.
	Pod string `yaml:"pod"`
	// Node names the node directly.
	Node string `yaml:"node"`
}
