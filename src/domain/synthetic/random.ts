/**
 * The seeded randomness behind the generator: every draw comes from one local faker instance,
 * so a seed fixes the whole output. Names come from faker's own word lists, picked with that
 * same generator (faker's template helpers cost ~10 µs a call, too slow for a million rows).
 */
import { en, en_US, Faker, generateMersenne32Randomizer, type Randomizer } from "@faker-js/faker"

export class Rng {
  private readonly faker: Faker
  private readonly randomizer: Randomizer

  constructor(seed: number) {
    this.randomizer = generateMersenne32Randomizer()
    this.faker = new Faker({ locale: [en_US, en], randomizer: this.randomizer })
    this.faker.seed(seed)
  }

  get definitions() {
    return this.faker.definitions
  }

  /** Uniform in [0, 1): faker's seeded Mersenne Twister, read directly (faker.number.float() costs more per call). */
  next(): number {
    return this.randomizer.next()
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n))
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1)
  }

  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo)
  }

  chance(p: number): boolean {
    return this.next() < p
  }

  pick<A>(items: ReadonlyArray<A>): A {
    return items[this.int(items.length)]!
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }

  shuffle<A>(items: ReadonlyArray<A>): Array<A> {
    const out = items.slice()
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      const t = out[i]!
      out[i] = out[j]!
      out[j] = t
    }
    return out
  }
}

/** Picks items by weight in O(log n). */
export class Weighted<A> {
  private readonly cumulative: Float64Array
  private readonly total: number

  constructor(readonly items: ReadonlyArray<A>, weight: (a: A, index: number) => number) {
    this.cumulative = new Float64Array(items.length)
    let sum = 0
    items.forEach((item, i) => {
      sum += weight(item, i)
      this.cumulative[i] = sum
    })
    this.total = sum
  }

  pickIndex(rng: Rng): number {
    const r = rng.next() * this.total
    let lo = 0
    let hi = this.cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (this.cumulative[mid]! > r) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  pick(rng: Rng): A {
    return this.items[this.pickIndex(rng)]!
  }
}

/**
 * Draws without replacement from fixed per-index counts (a Fenwick tree), so rows of known
 * per-plaintiff totals come out interleaved at random.
 */
export class Urn {
  private readonly tree: Float64Array
  private remaining: number

  constructor(counts: ReadonlyArray<number>) {
    const n = counts.length
    this.tree = new Float64Array(n + 1)
    this.remaining = 0
    for (let i = 0; i < n; i++) {
      this.remaining += counts[i]!
      for (let j = i + 1; j <= n; j += j & -j) this.tree[j]! += counts[i]!
    }
  }

  get size() {
    return this.remaining
  }

  draw(rng: Rng): number {
    let r = rng.int(this.remaining)
    let pos = 0
    let step = 1
    while (step * 2 < this.tree.length) step *= 2
    for (; step > 0; step >>= 1) {
      const next = pos + step
      if (next < this.tree.length && this.tree[next]! <= r) {
        pos = next
        r -= this.tree[next]!
      }
    }
    for (let j = pos + 1; j < this.tree.length; j += j & -j) this.tree[j]! -= 1
    this.remaining -= 1
    return pos
  }
}
