import { describe, expect, it } from 'vitest'
import { identityOf, isPlatformAdmin, type Identity } from '../../../api/auth/identity.js'
import { PlatformError } from '../../../models/errors.js'

describe('isPlatformAdmin', () => {
  it('should be true only for an admin bound to no tenant', () => {
    expect(isPlatformAdmin({ subject: 'key:p', role: 'admin' })).toBe(true)
    expect(isPlatformAdmin({ subject: 'key:a', role: 'admin', tenant: 'alpha' })).toBe(false)
    expect(isPlatformAdmin({ subject: 'key:o', role: 'operator' })).toBe(false)
    expect(isPlatformAdmin({ subject: 'token:x', role: 'analyst' })).toBe(false)
  })
})

describe('identityOf', () => {
  it('should return the identity the authentication hook set', () => {
    const identity: Identity = { subject: 'key:a', role: 'analyst', tenant: 'alpha' }
    expect(identityOf({ identity })).toBe(identity)
  })

  it('should refuse a request without one with AUTH_REQUIRED', () => {
    expect(() => identityOf({ identity: null })).toThrow(PlatformError)
    expect(() => identityOf({ identity: null })).toThrow(expect.objectContaining({ code: 'AUTH_REQUIRED' }))
  })
})
