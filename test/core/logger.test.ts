import { Writable } from 'node:stream'
import { describe, expect, test } from 'vitest'
import { createLogger } from '../../core/logger.js'

function captured(level: string): { logger: ReturnType<typeof createLogger>; lines: () => Record<string, unknown>[] } {
  let written = ''
  const sink = new Writable({ write: (chunk: Buffer, _encoding, done) => ((written += chunk.toString()), done()) })
  const logger = createLogger(level, 'circular-test', sink)
  return {
    logger,
    lines: () =>
      written
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  }
}

describe('createLogger', () => {
  test('should write JSON lines with the name, at the level given and above only', () => {
    const { logger, lines } = captured('warn')
    logger.info('hidden')
    logger.warn({ topic: 'readings' }, 'shown')
    logger.flush()
    expect(lines().map((l) => [l.name, l.level, l.msg, l.topic])).toEqual([['circular-test', 40, 'shown', 'readings']])
  })

  test('should replace credentials wherever the components log them', () => {
    const { logger, lines } = captured('trace')
    logger.info(
      {
        password: 'p0',
        token: 't0',
        secret: 's0',
        webhook: { secret: 's1', url: 'https://example.org/hook' },
        config: { influx: { password: 'p1', token: 't1' }, bridge: { password: 'p2' }, kafka: { sasl: { password: 'p3', username: 'u' } } },
        sasl: { password: 'p4' },
        authorization: 'Bearer a0',
        headers: { authorization: 'Bearer a1', 'x-api-key': 'k0' },
        req: { headers: { authorization: 'Bearer a2', 'x-api-key': 'k1', cookie: 'c0' } },
      },
      'everything at once',
    )
    logger.flush()
    const [line] = lines()
    const text = JSON.stringify(line)
    for (const secret of ['p0', 't0', 's0', 's1', 'p1', 't1', 'p2', 'p3', 'p4', 'a0', 'a1', 'a2', 'k0', 'k1', 'c0']) expect(text, secret).not.toContain(`"${secret}"`)
    // What is no credential stays readable.
    expect(line).toMatchObject({ webhook: { url: 'https://example.org/hook', secret: '[redacted]' }, config: { kafka: { sasl: { username: 'u', password: '[redacted]' } } } })
  })

  test('a logged HTTP request should keep method, path and harmless parameters, and lose credential parameters and headers', () => {
    const { logger, lines } = captured('info')
    logger.info({ req: { method: 'GET', url: '/v1/footprint?tenant=gent&key=ck_1&api_key=ck_2&access_token=t3&Token=t4&keyword=fill', host: 'api', ip: '10.0.0.5', headers: { authorization: 'Bearer a3' } } }, 'incoming request')
    logger.flush()
    const [line] = lines()
    expect(line!.req).toEqual({ method: 'GET', url: '/v1/footprint?tenant=gent&key=[redacted]&api_key=[redacted]&access_token=[redacted]&Token=[redacted]&keyword=fill', host: 'api', remoteAddress: '10.0.0.5' })
    expect(JSON.stringify(line)).not.toMatch(/ck_1|ck_2|t3|t4|a3/)
  })

  test('should refuse a level pino does not know', () => {
    expect(() => createLogger('chatty')).toThrow(/chatty/)
  })
})
