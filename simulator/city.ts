import type { FlowDestination, StoredWasteKind } from '../models/vocabulary.js'

/**
 * The demo city: Ghent (Belgium), its time zone, a few districts with container islands, a city
 * hall and a sports hall with meters, and a recycling centre. Coordinates are approximate district
 * centres (WGS 84); device positions are scattered a few hundred metres around them.
 */
export interface Site {
  readonly id: string
  readonly lat: number
  readonly lon: number
}

export const cityTimeZone = 'Europe/Brussels'

export const districts: readonly Site[] = [
  { id: 'binnenstad', lat: 51.0543, lon: 3.7174 },
  { id: 'sint-pieters', lat: 51.0385, lon: 3.7235 },
  { id: 'dampoort', lat: 51.0566, lon: 3.7401 },
  { id: 'brugse-poort', lat: 51.0553, lon: 3.6993 },
  { id: 'ledeberg', lat: 51.0389, lon: 3.7441 },
]

export const buildings: readonly Site[] = [
  { id: 'stadhuis', lat: 51.0545, lon: 3.7253 },
  { id: 'sporthal-noord', lat: 51.0712, lon: 3.7268 },
]

export const recyclingCentre: Site = { id: 'recyclagepark-oost', lat: 51.0489, lon: 3.7624 }

/** How one waste fraction is collected from the street containers. */
export interface FractionRound {
  readonly fraction: StoredWasteKind
  /** Days of the collection round, 0 = Sunday. */
  readonly days: readonly number[]
  /** Local hour the round starts; containers follow a few minutes apart. */
  readonly startHour: number
  /** Bulk density of the collected waste, kg/m³, for the container's cargo weight. */
  readonly densityKgM3: number
  readonly containerVolumeM3: number
  readonly containerType: string
  readonly fullnessThreshold: number
}

export const fractionRounds: readonly FractionRound[] = [
  { fraction: 'inorganic', days: [1, 4], startHour: 6, densityKgM3: 150, containerVolumeM3: 5, containerType: 'underground-5m3', fullnessThreshold: 0.8 },
  { fraction: 'organic', days: [2, 5], startHour: 6, densityKgM3: 400, containerVolumeM3: 1.1, containerType: 'wheelie-1100l', fullnessThreshold: 0.75 },
  { fraction: 'paper', days: [3], startHour: 7, densityKgM3: 60, containerVolumeM3: 3, containerType: 'underground-3m3', fullnessThreshold: 0.85 },
  { fraction: 'plastic', days: [1, 5], startHour: 7, densityKgM3: 30, containerVolumeM3: 3, containerType: 'underground-3m3', fullnessThreshold: 0.85 },
  { fraction: 'glass', days: [4], startHour: 8, densityKgM3: 300, containerVolumeM3: 2.5, containerType: 'igloo-2.5m3', fullnessThreshold: 0.8 },
]

/** EU List of Waste codes (Commission Decision 2000/532/EC, chapter 20) of what the recycling centre takes in. */
export const wasteCodes: Readonly<Partial<Record<StoredWasteKind, string>>> = {
  paper: '200101',
  glass: '200102',
  organic: '200201',
  plastic: '200139',
  metal: '200140',
  electronics: '200136',
  inorganic: '200301',
  other: '200307',
}

/** What residents bring to the recycling centre, by share of the car loads. */
export const inflowMix: readonly (readonly [StoredWasteKind, number])[] = [
  ['organic', 0.22],
  ['paper', 0.18],
  ['plastic', 0.14],
  ['inorganic', 0.12],
  ['glass', 0.08],
  ['metal', 0.1],
  ['electronics', 0.06],
  ['other', 0.1],
]

/**
 * The trucks that leave the recycling centre, in turn: every destination is served within a few
 * days, so material-flow metrics (recycling rate, landfill rate, re-use) all have data.
 */
export const outflowRotation: readonly (readonly [StoredWasteKind, FlowDestination])[] = [
  ['paper', 'recycling'],
  ['organic', 'composting'],
  ['inorganic', 'landfill'],
  ['other', 'reuse'],
  ['plastic', 'energy_recovery'],
  ['glass', 'recycling'],
  ['metal', 'recycling'],
  ['inorganic', 'energy_recovery'],
  ['electronics', 'recycling'],
  ['plastic', 'recycling'],
]
