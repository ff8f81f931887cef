import { assert, describe, it } from "@effect/vitest"
import {
  addBusinessDays,
  addressTimeZones,
  areaCodeOf,
  assumedReceiptDate,
  consumerTimeZones,
  defaultCommsRules,
  federalHolidays,
  isBusinessDay,
  localDateTime,
  observedFederalHoliday,
  phoneTimeZones,
  US_TIME_ZONES,
  validationPeriodEnd,
  validationPeriodEndForInstant,
  zonedInstant
} from "../src/domain/communications/index.js"

const ET = "America/New_York"
const CT = "America/Chicago"
const MT = "America/Denver"
const PT = "America/Los_Angeles"

describe("federal holidays", () => {
  it("2025: the eleven legal dates, observed where they fall", () => {
    assert.deepStrictEqual(federalHolidays(2025).map((h) => [h.name, h.date, h.observed]), [
      ["New Year's Day", "2025-01-01", "2025-01-01"],
      ["Birthday of Martin Luther King, Jr.", "2025-01-20", "2025-01-20"],
      ["Washington's Birthday", "2025-02-17", "2025-02-17"],
      ["Memorial Day", "2025-05-26", "2025-05-26"],
      ["Juneteenth National Independence Day", "2025-06-19", "2025-06-19"],
      ["Independence Day", "2025-07-04", "2025-07-04"],
      ["Labor Day", "2025-09-01", "2025-09-01"],
      ["Columbus Day", "2025-10-13", "2025-10-13"],
      ["Veterans Day", "2025-11-11", "2025-11-11"],
      ["Thanksgiving Day", "2025-11-27", "2025-11-27"],
      ["Christmas Day", "2025-12-25", "2025-12-25"]
    ])
  })

  it("a Saturday holiday is observed the Friday before, a Sunday one the Monday after", () => {
    const observed = (year: number, name: string) => federalHolidays(year).find((h) => h.name === name)!.observed
    assert.strictEqual(observed(2021, "Christmas Day"), "2021-12-24")
    assert.strictEqual(observed(2022, "Christmas Day"), "2022-12-26")
    assert.strictEqual(observed(2026, "Independence Day"), "2026-07-03")
    assert.strictEqual(observed(2021, "Juneteenth National Independence Day"), "2021-06-18")
    assert.strictEqual(observed(2023, "New Year's Day"), "2023-01-02")
  })

  it("New Year's Day on a Saturday is observed on December 31 of the year before", () => {
    assert.strictEqual(observedFederalHoliday("2021-12-31")?.name, "New Year's Day")
    assert.isFalse(isBusinessDay("2021-12-31"))
  })

  it("Juneteenth exists from 2021, the MLK holiday from 1986", () => {
    assert.isUndefined(federalHolidays(2020).find((h) => h.name.startsWith("Juneteenth")))
    assert.isUndefined(federalHolidays(1985).find((h) => h.name.startsWith("Birthday")))
    assert.strictEqual(federalHolidays(1986).length, 10)
  })

  it("the floating holidays of other years", () => {
    const dates = (year: number) => Object.fromEntries(federalHolidays(year).map((h) => [h.name, h.date]))
    assert.strictEqual(dates(2026)["Labor Day"], "2026-09-07")
    assert.strictEqual(dates(2026)["Thanksgiving Day"], "2026-11-26")
    assert.strictEqual(dates(2024)["Memorial Day"], "2024-05-27")
    assert.strictEqual(dates(2027)["Birthday of Martin Luther King, Jr."], "2027-01-18")
  })
})

describe("business days", () => {
  it("weekends and observed holidays are not business days", () => {
    assert.isTrue(isBusinessDay("2025-08-29"))
    assert.isFalse(isBusinessDay("2025-08-30"))
    assert.isFalse(isBusinessDay("2025-08-31"))
    assert.isFalse(isBusinessDay("2025-09-01"))
    assert.isFalse(isBusinessDay("2022-12-26"))
    assert.isTrue(isBusinessDay("2025-11-28"))
  })

  it("counting starts the day after; 0 is the day itself", () => {
    assert.strictEqual(addBusinessDays("2025-08-30", 0), "2025-08-30")
    assert.strictEqual(addBusinessDays("2025-08-28", 1), "2025-08-29")
    assert.strictEqual(addBusinessDays("2025-08-29", 1), "2025-09-02")
    assert.strictEqual(addBusinessDays("2025-08-30", 1), "2025-09-02")
  })
})

describe("validation period", () => {
  const rules = defaultCommsRules

  it("sent the Friday before Labor Day: receipt the 5th business day after, period 30 days later", () => {
    assert.strictEqual(assumedReceiptDate("2025-08-29", rules), "2025-09-08")
    assert.strictEqual(validationPeriodEnd("2025-08-29", rules), "2025-10-08")
  })

  it("over Thanksgiving", () => {
    assert.strictEqual(assumedReceiptDate("2025-11-25", rules), "2025-12-03")
    assert.strictEqual(validationPeriodEnd("2025-11-25", rules), "2026-01-02")
  })

  it("Christmas observed on the Monday after a Sunday Christmas", () => {
    assert.strictEqual(assumedReceiptDate("2022-12-21", rules), "2022-12-29")
    assert.strictEqual(validationPeriodEnd("2022-12-21", rules), "2023-01-28")
  })

  it("Christmas and New Year's Day observed on the Fridays before Saturday holidays", () => {
    assert.strictEqual(assumedReceiptDate("2021-12-20", rules), "2021-12-28")
    assert.strictEqual(assumedReceiptDate("2021-12-27", rules), "2022-01-04")
    assert.strictEqual(validationPeriodEnd("2021-12-27", rules), "2022-02-03")
  })

  it("the numbers come from the rules", () => {
    const longer = { ...rules, validationNotice: { ...rules.validationNotice, assumedReceiptBusinessDays: 3, periodDays: 35 } }
    assert.strictEqual(assumedReceiptDate("2025-08-29", longer), "2025-09-04")
    assert.strictEqual(validationPeriodEnd("2025-08-29", longer), "2025-10-09")
  })

  it("an instant is dated in the collector's calendar: 22:00 in New York is still that day", () => {
    assert.strictEqual(validationPeriodEndForInstant(new Date("2025-08-30T02:00:00Z"), rules), "2025-10-08")
    assert.strictEqual(validationPeriodEndForInstant(new Date("2025-08-30T04:00:00Z"), rules), "2025-10-08")
    assert.strictEqual(validationPeriodEndForInstant(new Date("2025-09-02T04:00:00Z"), rules), "2025-10-09")
  })
})

describe("time zones of an address", () => {
  it("single-zone states", () => {
    assert.deepStrictEqual(addressTimeZones("NY", "12207"), [ET])
    assert.deepStrictEqual(addressTimeZones("ca", null), [PT])
    assert.deepStrictEqual(addressTimeZones("Illinois", "60601"), [CT])
    assert.deepStrictEqual(addressTimeZones("N.J.", null), [ET])
  })

  it("split states list every zone unless the ZIP prefix settles it", () => {
    assert.deepStrictEqual(addressTimeZones("FL", null), [ET, CT])
    assert.deepStrictEqual(addressTimeZones("FL", "33101"), [ET])
    assert.deepStrictEqual(addressTimeZones("FL", "32501"), [CT])
    assert.deepStrictEqual(addressTimeZones("FL", "32401"), [ET, CT])
    assert.deepStrictEqual(addressTimeZones("TX", "75201"), [CT])
    assert.deepStrictEqual(addressTimeZones("TX", "79901"), [MT])
    assert.deepStrictEqual(addressTimeZones("TX", "79830"), [CT, MT])
    assert.deepStrictEqual(addressTimeZones("KY", "40202"), [ET, CT])
  })

  it("a ZIP alone gives its state; a ZIP of another state widens to both", () => {
    assert.deepStrictEqual(addressTimeZones(null, "90210"), [PT])
    assert.deepStrictEqual(addressTimeZones(null, "10001-1234"), [ET])
    assert.deepStrictEqual(addressTimeZones("NY", "90210"), [ET, PT])
  })

  it("unknown data means every US zone; no data means no information", () => {
    assert.deepStrictEqual(addressTimeZones("ZZ", null), US_TIME_ZONES)
    assert.deepStrictEqual(addressTimeZones(null, "09012"), US_TIME_ZONES)
    assert.deepStrictEqual(addressTimeZones(null, null), [])
    assert.deepStrictEqual(addressTimeZones(" ", ""), [])
  })
})

describe("time zones of a phone number", () => {
  it("area codes of the main markets", () => {
    assert.deepStrictEqual(phoneTimeZones("+12125550142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("(973) 555-0142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("1-860-555-0142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("+14125550142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("+16175550142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("+13055550142"), [ET])
    assert.deepStrictEqual(phoneTimeZones("+18505550142"), [ET, CT])
    assert.deepStrictEqual(phoneTimeZones("+13105550142"), [PT])
    assert.deepStrictEqual(phoneTimeZones("+12145550142"), [CT])
    assert.deepStrictEqual(phoneTimeZones("+19155550142"), [MT])
    assert.deepStrictEqual(phoneTimeZones("+13125550142"), [CT])
  })

  it("an unknown area code or a foreign number is ambiguous: every US zone", () => {
    assert.deepStrictEqual(phoneTimeZones("+12065550142"), US_TIME_ZONES)
    assert.deepStrictEqual(phoneTimeZones("+442071234567"), US_TIME_ZONES)
    assert.deepStrictEqual(phoneTimeZones("555-0142"), US_TIME_ZONES)
    assert.deepStrictEqual(phoneTimeZones(null), [])
    assert.isNull(areaCodeOf("+442071234567"))
    assert.strictEqual(areaCodeOf("+1 (718) 555-0142"), "718")
  })

  it("the consumer's zones are the union; with nothing known, every zone", () => {
    assert.deepStrictEqual(consumerTimeZones({ state: "NY", zip: "12207", phones: ["+13105550142"] }), [ET, PT])
    assert.deepStrictEqual(consumerTimeZones({ state: null, zip: null, phones: ["+13105550142", null] }), [PT])
    assert.deepStrictEqual(consumerTimeZones({ state: null, zip: null, phones: [] }), US_TIME_ZONES)
  })
})

describe("wall clocks", () => {
  it("08:00 in New York around the spring-forward and fall-back transitions", () => {
    assert.strictEqual(zonedInstant("2026-03-07", 8, 0, ET).toISOString(), "2026-03-07T13:00:00.000Z")
    assert.strictEqual(zonedInstant("2026-03-08", 8, 0, ET).toISOString(), "2026-03-08T12:00:00.000Z")
    assert.strictEqual(zonedInstant("2026-10-31", 8, 0, ET).toISOString(), "2026-10-31T12:00:00.000Z")
    assert.strictEqual(zonedInstant("2026-11-01", 8, 0, ET).toISOString(), "2026-11-01T13:00:00.000Z")
    assert.strictEqual(zonedInstant("2026-06-15", 21, 0, "America/Phoenix").toISOString(), "2026-06-16T04:00:00.000Z")
  })

  it("local date and time of an instant", () => {
    assert.deepStrictEqual(localDateTime(new Date("2026-06-16T00:59:30Z"), ET), {
      date: "2026-06-15", hour: 20, minute: 59, second: 30
    })
    assert.deepStrictEqual(localDateTime(new Date("2026-01-01T04:00:00Z"), "Pacific/Guam"), {
      date: "2026-01-01", hour: 14, minute: 0, second: 0
    })
  })
})
