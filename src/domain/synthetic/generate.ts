/**
 * Reproducible fictional judgments (domain.md §6). One seed fixes the whole output: plaintiffs,
 * how the judgments spread over them, and every row. Values are the strings written to the CSV,
 * in the formats the importer parses (§1).
 */
import { addMonths, addYears } from "../calendar.js"
import type { JudgmentColumn } from "../imports/columns.js"
import { Rng, Urn, Weighted } from "./random.js"
import {
  ActionCodes,
  type County,
  countyCourt,
  EntityTypes,
  FictionalBanks,
  FictionalCreditors,
  FictionalPrefixes,
  NyCounties,
  nycCivilCourt,
  OutOfStateCounties,
  PlaintiffBodies,
  type PlaintiffKind,
  ReservedEmailDomains,
  StreetSuffixes,
  supremeCourt,
  Trades
} from "./reference.js"

export interface SyntheticOptions {
  /** A whole number; the same options give byte-identical output. */
  readonly seed: number
  readonly plaintiffs: number
  /** Spread unevenly over the plaintiffs (the first ones are the largest). */
  readonly judgments: number
  /** "YYYY-MM-DD": the day ages are measured from; nothing is dated later. */
  readonly asOf: string
  /** Ids of the first plaintiffs (the generic layout's `plaintiff_id`); the rest get `SYN-0002`-style ids. */
  readonly plaintiffIds?: ReadonlyArray<string>
  /** Prefix of `case_number` (default "SIM"): `SIM-000001`. */
  readonly caseNumberPrefix?: string
}

export interface SyntheticPlaintiff {
  readonly id: string
  /** Obviously fictional, ending in " (TEST)". */
  readonly name: string
  readonly kind: PlaintiffKind
  /** How many of the judgments are theirs. */
  readonly judgments: number
}

/** Every column of both layouts. */
export type SyntheticColumn = "client_name" | "plaintiff_id" | "plaintiff_name" | "judgment_id" | JudgmentColumn

/** One judgment, each column as the text written to the CSV ("" = blank). */
export type SyntheticJudgment = { readonly [K in SyntheticColumn]: string }

// ---------------------------------------------------------------------------------------------
// dates: epoch days (UTC)

const DAY_MS = 86_400_000
const epochDay = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / DAY_MS
const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`)
const pad4 = (n: number) => String(n).padStart(4, "0")

type DateStyle = "us" | "iso" | "short"
type MoneyStyle = "dollars" | "plain"

/** Civil date of an epoch day (Hinnant's days-to-civil; faster than a Date per value). */
const civil = (day: number): readonly [number, number, number] => {
  const z = day + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d]
}

const formatDate = (day: number, style: DateStyle) => {
  const [y, m, d] = civil(day)
  switch (style) {
    case "iso":
      return `${y}-${pad2(m)}-${pad2(d)}`
    case "short":
      // two-digit years only where they cannot be mistaken for the 1900s
      if (y >= 2000) return `${m}/${d}/${pad2(y % 100)}`
      return `${pad2(m)}/${pad2(d)}/${y}`
    case "us":
      return `${pad2(m)}/${pad2(d)}/${y}`
  }
}

const isoOf = (day: number) => formatDate(day, "iso")

const formatMoney = (cents: number, style: MoneyStyle) => {
  const whole = Math.floor(cents / 100)
  const frac = pad2(cents % 100)
  if (style === "plain" || whole < 1_000) return `${style === "plain" ? "" : "$"}${whole}.${frac}`
  const thousands = Math.floor(whole / 1_000)
  const units = String(whole % 1_000).padStart(3, "0")
  return thousands < 1_000
    ? `$${thousands},${units}.${frac}`
    : `$${Math.floor(thousands / 1_000)},${String(thousands % 1_000).padStart(3, "0")},${units}.${frac}`
}

// ---------------------------------------------------------------------------------------------
// options

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/
const FIRST_ENTRY = "2004-01-01"
/** The Fair Consumer Judgment Interest Act: 2 % for consumer judgments from this day (domain.md §0). */
const CONSUMER_RATE_FROM = "2022-04-30"

const validate = (options: SyntheticOptions) => {
  const { asOf, judgments, plaintiffs, seed } = options
  const ids = options.plaintiffIds ?? []
  if (!Number.isSafeInteger(seed)) throw new RangeError("seed must be a whole number")
  if (!Number.isInteger(plaintiffs) || plaintiffs < 0) throw new RangeError("plaintiffs must be a whole number ≥ 0")
  if (!Number.isInteger(judgments) || judgments < 0) throw new RangeError("judgments must be a whole number ≥ 0")
  if (judgments > 0 && plaintiffs === 0) throw new RangeError("judgments need at least one plaintiff")
  if (!ISO_DATE.test(asOf) || Number.isNaN(epochDay(asOf)) || isoOf(epochDay(asOf)) !== asOf) {
    throw new RangeError(`asOf must be a calendar date YYYY-MM-DD, got ${JSON.stringify(asOf)}`)
  }
  if (asOf < FIRST_ENTRY) throw new RangeError(`asOf must be on or after ${FIRST_ENTRY}`)
  if (ids.length > plaintiffs) throw new RangeError("more plaintiffIds than plaintiffs")
  if (new Set(ids).size !== ids.length) throw new RangeError("plaintiffIds must be distinct")
  if (ids.some((id) => id.trim() === "")) throw new RangeError("plaintiffIds must not be blank")
}

// ---------------------------------------------------------------------------------------------
// plaintiffs

const makePlaintiffs = (rng: Rng, options: SyntheticOptions): ReadonlyArray<SyntheticPlaintiff> => {
  const fixed = options.plaintiffIds ?? []
  const taken = new Set(fixed)
  const combos = rng.shuffle(FictionalPrefixes.flatMap((prefix) => PlaintiffBodies.map((b) => ({ prefix, ...b }))))
  const n = options.plaintiffs

  // uneven sizes: Zipf-like weights with some noise, at least one judgment each when possible
  const counts = new Array<number>(n).fill(options.judgments >= n ? 1 : 0)
  const weights = new Weighted(counts, (_, i) => Math.pow(i + 1, -1.1) * Math.exp(0.4 * rng.normal()))
  const rest = options.judgments - (options.judgments >= n ? n : 0)
  for (let k = 0; k < rest; k++) counts[weights.pickIndex(rng)]! += 1

  return counts.map((judgments, i) => {
    const combo = combos[i % combos.length]!
    const round = Math.floor(i / combos.length)
    const base = round === 0 ? combo.body : `${combo.body} ${round + 1}`
    let id = fixed[i]
    if (id === undefined) {
      id = `SYN-${pad4(i + 1)}`
      while (taken.has(id)) id = `${id}-B`
      taken.add(id)
    }
    return { id, name: `${combo.prefix} ${base} (TEST)`, kind: combo.kind, judgments }
  })
}

// ---------------------------------------------------------------------------------------------
// rows

const BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
/** A bijection on 32-bit integers (xor-shift-multiply), so distinct rows get distinct payment ids. */
const mix32 = (n: number, key: number) => {
  let h = (n ^ key) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b) >>> 0
  return (h ^ (h >>> 16)) >>> 0
}

interface Context {
  readonly rng: Rng
  readonly asOfDay: number
  readonly firstDay: number
  readonly consumerRateDay: number
  /** Entries more than 20 years before asOf: [first, last], or null. */
  readonly oldRange: readonly [number, number] | null
  /** Entries 9–10 years before asOf. */
  readonly nineTenRange: readonly [number, number] | null
  /** A last payment on or after this day is "in the last 24 months". */
  readonly recentPaymentDay: number
  readonly nyCounties: Weighted<County>
  readonly outOfState: Weighted<County>
  readonly firstNames: ReadonlyArray<string>
  readonly lastNames: ReadonlyArray<string>
  readonly streetNames: ReadonlyArray<string>
  readonly courts: ReadonlyMap<County, Courts>
  readonly indexCounters: Map<number, number>
  readonly paymentIdKey: number
  readonly casePrefix: string
}

const makeContext = (rng: Rng, options: SyntheticOptions): Context => {
  const asOfDay = epochDay(options.asOf)
  const firstDay = epochDay(FIRST_ENTRY)
  const twentyYearsAgo = epochDay(addYears(options.asOf, -20))
  const nineYearsAgo = epochDay(addYears(options.asOf, -9))
  const tenYearsAgo = epochDay(addYears(options.asOf, -10))
  const nineTenFirst = Math.max(firstDay, tenYearsAgo + 1)
  const definitions = rng.definitions
  const person = definitions.person
  const firstNames = person?.first_name?.generic ?? []
  const lastNames = person?.last_name?.generic ?? []
  const streetNames = definitions.location?.street_name ?? []
  if (firstNames.length === 0 || lastNames.length === 0 || streetNames.length === 0) {
    throw new Error("@faker-js/faker en locale lacks first_name/last_name/street_name lists")
  }
  return {
    rng,
    asOfDay,
    firstDay,
    consumerRateDay: epochDay(CONSUMER_RATE_FROM),
    oldRange: twentyYearsAgo - 1 >= firstDay ? [firstDay, twentyYearsAgo - 1] : null,
    nineTenRange: nineYearsAgo >= nineTenFirst ? [nineTenFirst, nineYearsAgo] : null,
    recentPaymentDay: epochDay(addMonths(options.asOf, -24)) + 1,
    nyCounties: new Weighted(NyCounties, (c) => c.weight),
    outOfState: new Weighted(OutOfStateCounties, (c) => c.weight),
    firstNames,
    lastNames,
    streetNames,
    courts: makeCourts(NyCounties),
    indexCounters: new Map(),
    paymentIdKey: rng.int(0x1_0000_0000),
    casePrefix: options.caseNumberPrefix ?? "SIM"
  }
}

const entryDay = (ctx: Context): number => {
  const { rng } = ctx
  const r = rng.next()
  if (r < 0.05 && ctx.oldRange !== null) return rng.between(ctx.oldRange[0], ctx.oldRange[1])
  if (r < 0.11 && ctx.nineTenRange !== null) return rng.between(ctx.nineTenRange[0], ctx.nineTenRange[1])
  // more recent years are busier
  let day = ctx.firstDay + Math.floor((ctx.asOfDay - ctx.firstDay + 1) * Math.pow(rng.next(), 0.75))
  const weekday = (day + 4) % 7 // 1970-01-01 was a Thursday
  if (weekday === 6) day -= 1
  else if (weekday === 0) day -= 2
  return Math.max(ctx.firstDay, Math.min(ctx.asOfDay, day))
}

/** Log-normal, median ~$3.8k (individuals) / ~$9k (businesses), $150 … $150,000. */
const judgmentCents = (rng: Rng, business: boolean): number => {
  const median = business ? 9_000 : 3_800
  for (let i = 0; i < 20; i++) {
    const dollars = median * Math.exp(1.0 * rng.normal())
    if (dollars >= 150 && dollars <= 150_000) return Math.round(dollars * 100)
  }
  return median * 100
}

const cleanLocal = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, "")

interface Court {
  readonly name: string
  /** Dense id, for the index-number counters. */
  readonly id: number
  /** NYC Civil Court: the borough suffix of `CV-######-YY/XX`. */
  readonly borough: string | null
}

interface Courts {
  readonly civil: Court | null
  readonly supreme: Court
  readonly county: Court
  readonly district: Court | null
  readonly city: ReadonlyArray<Court>
}

const makeCourts = (counties: ReadonlyArray<County>): ReadonlyMap<County, Courts> => {
  let id = 0
  const court = (name: string, borough: string | null = null): Court => ({ name, id: id++, borough })
  return new Map(counties.map((c) => [c, {
    civil: c.nycBorough === undefined ? null : court(nycCivilCourt(c.name), c.nycBorough),
    supreme: court(supremeCourt(c.name)),
    county: court(countyCourt(c.name)),
    district: c.districtCourt === undefined ? null : court(c.districtCourt),
    city: (c.cityCourts ?? []).map((name) => court(name))
  }]))
}

const indexNumber = (ctx: Context, court: Court, entry: number): string => {
  const { rng } = ctx
  const entryYear = civil(entry)[0]
  const year = Math.max(2003, rng.chance(0.3) ? entryYear - 1 : entryYear)
  const key = court.id * 10_000 + year
  const last = ctx.indexCounters.get(key) ?? (court.borough !== null ? rng.between(1_000, 60_000) : rng.between(10_000, 60_000))
  const next = last + rng.between(1, 4)
  ctx.indexCounters.set(key, next)
  return court.borough !== null
    ? `CV-${String(next).padStart(6, "0")}-${pad2(year % 100)}/${court.borough}`
    : `${String(next).padStart(5, "0")}/${year}`
}

const courtFor = (rng: Rng, courts: Courts, amountCents: number): Court => {
  const dollars = amountCents / 100
  if (courts.civil !== null) {
    const civil = dollars <= 25_000 ? rng.chance(0.92) : dollars <= 50_000 ? rng.chance(0.5) : false
    return civil ? courts.civil : courts.supreme
  }
  if (courts.district !== null && dollars <= 15_000 && rng.chance(0.7)) return courts.district
  if (courts.city.length > 0 && dollars <= 15_000 && rng.chance(0.5)) return rng.pick(courts.city)
  if (dollars <= 25_000 && rng.chance(0.3)) return courts.county
  return courts.supreme
}

const street = (ctx: Context): string => {
  const { rng } = ctx
  const r = rng.next()
  if (r < 0.4) return rng.pick(ctx.streetNames)
  const name = r < 0.7 ? rng.pick(ctx.lastNames) : rng.pick(ctx.firstNames)
  return `${name} ${rng.pick(StreetSuffixes)}`
}

const buildingNumber = (rng: Rng, county: County): string => {
  if (county.name === "Queens" && county.state === "NY" && rng.chance(0.35)) {
    return `${rng.between(1, 270)}-${pad2(rng.between(1, 99))}`
  }
  return String(county.nycBorough !== undefined ? rng.between(1, 2_500) : rng.between(1, 19_999))
}

const secondLine = (rng: Rng, county: County, business: boolean): string => {
  if (business) {
    if (!rng.chance(0.25)) return ""
    return rng.chance(0.7) ? `Suite ${rng.between(100, 999)}` : `Unit ${rng.between(1, 40)}`
  }
  if (!rng.chance(county.nycBorough !== undefined ? 0.55 : 0.3)) return ""
  const r = rng.next()
  if (r < 0.01) return `Rear Unit "${rng.pick(["A", "B", "C"])}"`
  if (r < 0.6) return `Apt ${rng.between(1, 24)}${rng.pick(["A", "B", "C", "D", "E", "F"])}`
  if (r < 0.9) return `Apt ${rng.between(1, 40)}`
  return `Fl ${rng.between(1, 4)}`
}

const companyName = (ctx: Context, city: string): string => {
  const { rng } = ctx
  const last = () => rng.pick(ctx.lastNames)
  const r = rng.next()
  if (r < 0.45) return `${last()} ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
  if (r < 0.62) return `${city} ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
  if (r < 0.77) return `${last()}, ${last()} & ${last()} ${rng.pick(EntityTypes)}`
  if (r < 0.92) return `${last()} ${rng.pick(Trades)}, Inc.`
  if (r < 0.94) return `The "${last()}" ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
  return `${rng.pick(ctx.firstNames)} ${last()} ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
}

const employerName = (ctx: Context, city: string): string => {
  const { rng } = ctx
  const r = rng.next()
  if (r < 0.6) return `${rng.pick(ctx.lastNames)} ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
  if (r < 0.8) return `${city} ${rng.pick(Trades)} ${rng.pick(EntityTypes)}`
  return `${rng.pick(FictionalPrefixes)} ${rng.pick(["Hospital", "Retail Stores", "Warehouse", "School District", "Transit"])} ${rng.pick(["Inc.", "LLC", "Corp."])}`
}

const location = (ctx: Context, county: County) => {
  const place = ctx.rng.pick(county.places)
  return { city: place.city, zip: ctx.rng.pick(place.zips) }
}

const flag = (rng: Rng, yes: boolean) => (yes ? "Y" : rng.chance(0.1) ? "" : "N")

const makeRow = (ctx: Context, n: number, plaintiff: SyntheticPlaintiff): SyntheticJudgment => {
  const { rng } = ctx
  const dateStyle: DateStyle = (() => {
    const r = rng.next()
    return r < 0.8 ? "us" : r < 0.95 ? "iso" : "short"
  })()
  const moneyStyle: MoneyStyle = rng.chance(0.85) ? "dollars" : "plain"
  const date = (day: number) => formatDate(day, dateStyle)
  const money = (cents: number) => formatMoney(cents, moneyStyle)

  // debtor
  const business = rng.chance(0.15)
  const outOfState = rng.chance(0.05)
  const county = outOfState ? ctx.outOfState.pick(rng) : ctx.nyCounties.pick(rng)
  const { city, zip } = location(ctx, county)
  const firstName = business ? "" : rng.pick(ctx.firstNames)
  const lastName = business ? "" : rng.pick(ctx.lastNames)
  const company = business ? companyName(ctx, city) : ""
  const accountType = business || rng.chance(0.03) ? "C" : "N"

  // court
  const entry = entryDay(ctx)
  const amount = judgmentCents(rng, business)
  const courtCounty = county.state === "NY" && rng.chance(0.88) ? county : ctx.nyCounties.pick(rng)
  const court = courtFor(rng, ctx.courts.get(courtCounty)!, amount)
  const index = indexNumber(ctx, court, entry)
  const costs = rng.chance(0.08) ? 0 : rng.between(150, 650) * 100 + (rng.chance(0.3) ? rng.int(100) : 0)
  const consumer = accountType === "N"
  const rate = consumer && entry >= ctx.consumerRateDay ? "2" : "9"
  const entered = date(entry)
  const interestFrom = rng.chance(0.85) ? entered : ""
  let transcripts = ""
  if (rng.chance(0.12)) {
    const others = new Set<string>()
    const wanted = rng.between(1, 3)
    for (let i = 0; i < wanted * 3 && others.size < wanted; i++) {
      const c = ctx.nyCounties.pick(rng).name
      if (c !== courtCounty.name) others.add(c)
    }
    transcripts = [...others].join(";")
  }

  // money: balance = judgment + costs − payments (0 when vacated)
  const total = amount + costs
  let status: "open" | "partially_satisfied" | "satisfied" | "vacated" = "open"
  let paid = 0
  let lastPaymentDay: number | null = null
  let lastPayment = 0
  if (rng.chance(0.03)) {
    status = "vacated"
  } else {
    const recentFrom = Math.max(entry, ctx.recentPaymentDay)
    if (rng.chance(0.2) && recentFrom <= ctx.asOfDay) {
      lastPaymentDay = rng.between(recentFrom, ctx.asOfDay)
    } else if (entry < ctx.recentPaymentDay - 1 && rng.chance(0.17)) {
      lastPaymentDay = rng.between(entry, ctx.recentPaymentDay - 1)
    }
    if (lastPaymentDay !== null) {
      const r = rng.next()
      if (r < 0.2) {
        status = "satisfied"
        paid = total
      } else if (r < 0.6) {
        status = "partially_satisfied"
        paid = Math.round(total * rng.uniform(0.05, 0.9))
      } else {
        paid = Math.max(100, Math.round(total * rng.uniform(0.01, 0.2)))
      }
      paid = Math.min(paid, total)
      lastPayment = rng.chance(0.25) ? paid : Math.min(paid, Math.max(2_500, Math.round(paid * rng.uniform(0.02, 0.3))))
    }
  }
  const balance = status === "vacated" ? 0 : total - paid

  // contact
  const phone = rng.chance(0.7) ? `(${rng.pick(county.areaCodes)}) 555-01${pad2(rng.int(100))}` : ""
  let email = ""
  if (rng.chance(business ? 0.4 : 0.5)) {
    const domain = rng.pick(ReservedEmailDomains)
    const digits = rng.chance(0.5) ? String(rng.int(100)) : ""
    const local = business
      ? `${rng.pick(["billing", "ap", "office", "info"])}.${cleanLocal(company.split(/[\s,]/)[0] ?? "co")}${digits}`
      : rng.chance(0.6)
      ? `${cleanLocal(firstName)}.${cleanLocal(lastName)}${digits}`
      : `${cleanLocal(firstName).slice(0, 1)}${cleanLocal(lastName)}${digits}`
    email = `${local}@${domain}`
  }
  const ssn4 = !business && rng.chance(0.85) ? pad4(rng.int(10_000)) : ""
  const dob = !business && rng.chance(0.75) ? date(entry - rng.between(20 * 365, 70 * 365)) : ""

  // facts
  let employer = ""
  let employerAddress = ""
  if (!business && rng.chance(0.47)) {
    const where = county.state === "NY" && rng.chance(0.7) ? county : ctx.nyCounties.pick(rng)
    const at = location(ctx, where)
    employer = employerName(ctx, at.city)
    if (rng.chance(0.85)) {
      employerAddress = `${buildingNumber(rng, where)} ${street(ctx)}, ${at.city}, ${where.state} ${at.zip}`
    }
  }
  const bank = rng.chance(0.3) ? rng.pick(FictionalBanks) : ""
  const property = rng.chance(0.1)
    ? (county.state === "NY" && rng.chance(0.75) ? county : ctx.nyCounties.pick(rng)).name
    : ""
  const bankruptcy = flag(rng, rng.chance(0.03))
  const deceased = flag(rng, !business && rng.chance(0.012))
  let actions = ""
  if (rng.chance(0.55)) {
    const codes = new Set<string>()
    const wanted = rng.between(1, 3)
    while (codes.size < wanted) codes.add(rng.pick(ActionCodes))
    actions = [...codes].join(";")
  }

  // keys
  let claim = ""
  if (rng.chance(0.8)) {
    claim = "CLM-"
    for (let i = 0; i < 8; i++) claim += BASE36[rng.int(36)]
  }
  const creditor = rng.chance(0.05)
    ? ""
    : plaintiff.kind === "debt_buyer"
    ? rng.pick(FictionalCreditors)
    : plaintiff.name
  const paymentId = mix32(n, ctx.paymentIdKey)
  const seq = String(n).padStart(6, "0")

  return {
    client_name: plaintiff.name,
    plaintiff_id: plaintiff.id,
    plaintiff_name: plaintiff.name,
    judgment_id: `J-${seq}`,
    case_number: `${ctx.casePrefix}-${seq}`,
    client_claim_number: claim,
    creditor,
    account_type: accountType,
    debtor_first_name: firstName,
    debtor_last_name: lastName,
    debtor_company_name: company,
    debtor_address_one: `${buildingNumber(rng, county)} ${street(ctx)}`,
    debtor_address_two: secondLine(rng, county, business),
    debtor_city: city,
    debtor_state: county.state,
    debtor_zip: zip,
    debtor_county: county.name,
    debtor_phone: phone,
    debtor_email: email,
    last_four_ssn: ssn4,
    debtor_dob: dob,
    court_name: court.name,
    court_county: courtCounty.name,
    index_number: index,
    judgment_date: entered,
    judgment_amount: money(amount),
    costs: money(costs),
    interest_rate: rate,
    interest_from_date: interestFrom,
    transcript_county_list: transcripts,
    payments_to_date: money(paid),
    last_payment_date: lastPaymentDay === null ? "" : date(lastPaymentDay),
    last_payment_amount: lastPaymentDay === null ? "" : money(lastPayment),
    current_balance_due: money(balance),
    employer_name: employer,
    employer_address: employerAddress,
    bank_name: bank,
    real_property_county: property,
    bankruptcy_flag: bankruptcy,
    deceased_flag: deceased,
    status,
    action_codes: actions,
    debtor_payment_id: `PAY-${paymentId.toString(36).toUpperCase().padStart(7, "0")}`,
    is_synthetic: "true"
  }
}

const start = (options: SyntheticOptions) => {
  validate(options)
  const rng = new Rng(options.seed)
  const plaintiffs = makePlaintiffs(rng, options)
  const ctx = makeContext(rng, options)
  return { plaintiffs, ctx }
}

function* rowsOf(ctx: Context, plaintiffs: ReadonlyArray<SyntheticPlaintiff>): Generator<SyntheticJudgment, void, undefined> {
  const urn = new Urn(plaintiffs.map((p) => p.judgments))
  for (let n = 1; urn.size > 0; n++) yield makeRow(ctx, n, plaintiffs[urn.draw(ctx.rng)]!)
}

/** The plaintiffs of `generate(options)`, without generating the rows. */
export const syntheticPlaintiffs = (options: SyntheticOptions): ReadonlyArray<SyntheticPlaintiff> =>
  start(options).plaintiffs

/** The rows of `generate(options)`, one at a time (for files too large to hold). */
export const generateRows = (options: SyntheticOptions): IterableIterator<SyntheticJudgment> => {
  const { ctx, plaintiffs } = start(options)
  return rowsOf(ctx, plaintiffs)
}

export const generate = (options: SyntheticOptions): {
  readonly plaintiffs: ReadonlyArray<SyntheticPlaintiff>
  readonly judgments: ReadonlyArray<SyntheticJudgment>
} => {
  const { ctx, plaintiffs } = start(options)
  return { plaintiffs, judgments: Array.from(rowsOf(ctx, plaintiffs)) }
}
