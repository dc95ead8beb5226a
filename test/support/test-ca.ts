import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCa {
  readonly dir: string
  /** PEM of the CA certificate, for clients to trust. */
  readonly caPem: string
  readonly caFile: string
  /** A server certificate for 127.0.0.1 and localhost. */
  readonly server: { certFile: string; keyFile: string }
  /** A client certificate with this common name, signed by the CA. */
  client(commonName: string): { cert: string; key: string }
  /** A client certificate from another CA, which the server must not accept. */
  foreignClient(commonName: string): { cert: string; key: string }
  cleanup(): void
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' })
}

function selfSignedCa(dir: string, name: string): void {
  openssl(dir, 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign')
}

function signed(dir: string, ca: string, name: string, commonName: string, extensions: string): { cert: string; key: string } {
  openssl(dir, 'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `/CN=${commonName}`, '-keyout', `${name}.key`, '-out', `${name}.csr`)
  writeFileSync(join(dir, `${name}.ext`), extensions)
  openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '2', '-out', `${name}.crt`, '-extfile', `${name}.ext`)
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') }
}

/** A certificate authority of the test's own, made with the openssl CLI in a temporary folder. */
export function createTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'circular-ca-'))
  selfSignedCa(dir, 'ca')
  signed(dir, 'ca', 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n')
  let foreign = false
  let serial = 0
  return {
    dir,
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    caFile: join(dir, 'ca.crt'),
    server: { certFile: join(dir, 'server.crt'), keyFile: join(dir, 'server.key') },
    client: (commonName) => signed(dir, 'ca', `client-${serial++}`, commonName, 'extendedKeyUsage=clientAuth\n'),
    foreignClient: (commonName) => {
      if (!foreign) selfSignedCa(dir, 'foreign')
      foreign = true
      return signed(dir, 'foreign', `foreign-${serial++}`, commonName, 'extendedKeyUsage=clientAuth\n')
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  }
}
