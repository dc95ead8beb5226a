import { describe, expect, test } from 'vitest'
import { header, pipelineTopics } from '../../../core/bus/topics.js'
import { loadConfig } from '../../../core/config.js'

const config = loadConfig({ KAFKA_TOPIC_PARTITIONS: '4', TOPIC_READINGS: 'city.readings', TOPIC_ALERTS_STATE: 'city.alerts-state' })

describe('pipelineTopics', () => {
  test('should name the pipeline topics with the configured partitions, the footprint state and the devices compacted', () => {
    expect(pipelineTopics(config.bus)).toEqual([
      { topic: config.bus.topics.raw, partitions: 4 },
      { topic: 'city.readings', partitions: 4 },
      { topic: config.bus.topics.deadLetter, partitions: 4 },
      { topic: config.bus.topics.footprintPoints, partitions: 4 },
      { topic: config.bus.topics.footprintState, partitions: 4, compacted: true },
      { topic: config.bus.topics.devices, partitions: 4, compacted: true },
      { topic: config.bus.topics.deviceStatus, partitions: 4 },
      { topic: config.bus.topics.deviceCommands, partitions: 4 },
    ])
  })

  test('should add the alert topics when asked, their state and deliveries compacted', () => {
    const topics = pipelineTopics(config.bus, config.alerts)
    expect(topics.slice(0, 8)).toEqual(pipelineTopics(config.bus))
    expect(topics.slice(8)).toEqual([
      { topic: config.alerts.topics.events, partitions: 4 },
      { topic: 'city.alerts-state', partitions: 4, compacted: true },
      { topic: config.alerts.topics.commands, partitions: 4 },
      { topic: config.alerts.topics.siteFlows, partitions: 4 },
      { topic: config.alerts.topics.deliveries, partitions: 4, compacted: true },
    ])
    expect(new Set(topics.map((t) => t.topic)).size).toBe(topics.length)
  })
})

describe('header', () => {
  test('header names should be distinct and lower case, as Kafka clients compare them byte for byte', () => {
    const names = Object.values(header)
    expect(new Set(names).size).toBe(names.length)
    for (const name of names) expect(name).toMatch(/^[a-z][a-z-]*$/)
  })
})
