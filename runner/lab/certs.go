package lab

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// certValidity is long enough for any workshop; the CA is made per lab.
const certValidity = 5 * 365 * 24 * time.Hour

// certSpec describes one certificate signed by the lab's CA.
type certSpec struct {
	name   string // file name stem under pki/
	cn     string
	orgs   []string
	server bool
	client bool
	ips    []string
	dns    []string
}

// clientIdentity is a kubeconfig the lab writes and the identity in it.
type clientIdentity struct {
	name   string // kubeconfig name and cert stem
	cn     string
	orgs   []string
	server string
}

// certSpecs lists every serving and client certificate of the lab.
func certSpecs(workers int) []certSpec {
	specs := []certSpec{
		{name: "apiserver", cn: "kube-apiserver", server: true,
			ips: []string{APIServerIP, KubernetesIP, "127.0.0.1"},
			dns: []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc." + ClusterDomain}},
		{name: "apiserver-kubelet-client", cn: "kube-apiserver-kubelet-client", client: true},
	}
	for i := 1; i <= workers; i++ {
		specs = append(specs, certSpec{name: "kubelet-serving-" + NodeName(i), cn: NodeName(i), server: true,
			ips: []string{nodeIP(i)}, dns: []string{NodeName(i)}})
	}
	for _, id := range clientIdentities(workers) {
		specs = append(specs, certSpec{name: id.name, cn: id.cn, orgs: id.orgs, client: true})
	}
	return specs
}

// clientIdentities lists the kubeconfigs the lab writes. "admin" is the
// learner's (bound to cluster-admin by a ClusterRoleBinding the lab
// creates); "super-admin" (system:masters) is used only to bootstrap.
func clientIdentities(workers int) []clientIdentity {
	ids := []clientIdentity{
		{name: "super-admin", cn: "kubetutor:super-admin", orgs: []string{"system:masters"}},
		{name: "admin", cn: "kubetutor-admin", orgs: []string{adminGroup}},
		{name: "controller-manager", cn: "system:kube-controller-manager"},
		{name: "scheduler", cn: "system:kube-scheduler"},
		{name: "kube-proxy", cn: "system:kube-proxy"},
		{name: "coredns", cn: corednsUser},
	}
	for i := 1; i <= workers; i++ {
		ids = append(ids, clientIdentity{name: "kubelet-" + NodeName(i), cn: "system:node:" + NodeName(i), orgs: []string{"system:nodes"}})
	}
	return ids
}

const (
	adminGroup  = "kubetutor:cluster-admins"
	corednsUser = "kubetutor:coredns"
)

// ensurePKI creates the CA, the service-account key pair, every certificate
// and every kubeconfig that is missing. Existing files are kept, so a lab
// restarted with its state keeps its identity.
func ensurePKI(l layout, workers int) error {
	if err := os.MkdirAll(l.pki(""), 0o700); err != nil {
		return err
	}
	caCert, caKey, err := ensureCA(l)
	if err != nil {
		return err
	}
	if _, err := os.Stat(l.pki("sa.key")); err != nil {
		key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			return err
		}
		if err := writeKey(l.pki("sa.key"), key); err != nil {
			return err
		}
		der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
		if err != nil {
			return err
		}
		if err := os.WriteFile(l.pki("sa.pub"), pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
			return err
		}
	}
	for _, s := range certSpecs(workers) {
		if _, err := os.Stat(l.pki(s.name + ".crt")); err == nil {
			continue
		}
		if err := issue(l, caCert, caKey, s); err != nil {
			return fmt.Errorf("certificate %s: %w", s.name, err)
		}
	}
	caPEM, err := os.ReadFile(l.pki("ca.crt"))
	if err != nil {
		return err
	}
	server := APIServerURL
	if err := os.MkdirAll(filepath.Dir(l.kubeconfig("x")), 0o700); err != nil {
		return err
	}
	for _, id := range clientIdentities(workers) {
		path := l.kubeconfig(id.name)
		if id.name == "admin" {
			path = l.adminKubeconfig()
		}
		crt, err := os.ReadFile(l.pki(id.name + ".crt"))
		if err != nil {
			return err
		}
		key, err := os.ReadFile(l.pki(id.name + ".key"))
		if err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(renderKubeconfig(server, caPEM, crt, key)), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// ensureCA loads the lab's CA or creates it.
func ensureCA(l layout) (*x509.Certificate, crypto.Signer, error) {
	if b, err := os.ReadFile(l.pki("ca.crt")); err == nil {
		kb, err := os.ReadFile(l.pki("ca.key"))
		if err != nil {
			return nil, nil, fmt.Errorf("ca.crt without ca.key: remove %s and run lab up again", l.pki(""))
		}
		return parseCA(b, kb)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "kubetutor-lab-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeKey(l.pki("ca.key"), key); err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(l.pki("ca.crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	return cert, key, err
}

func parseCA(certPEM, keyPEM []byte) (*x509.Certificate, crypto.Signer, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, errors.New("malformed CA files")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// issue signs one certificate described by s with the CA.
func issue(l layout, ca *x509.Certificate, caKey crypto.Signer, s certSpec) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: s.cn, Organization: s.orgs},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     s.dns,
	}
	for _, ip := range s.ips {
		tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(ip))
	}
	if s.server {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if s.client {
		tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return err
	}
	if err := writeKey(l.pki(s.name+".key"), key); err != nil {
		return err
	}
	return os.WriteFile(l.pki(s.name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return err
	}
	return os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), 0o600)
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	return n
}
