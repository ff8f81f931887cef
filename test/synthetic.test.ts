import { assert, describe, it } from "@effect/vitest"
import { addMonths, addYears, wholeYearsBetween } from "../src/domain/calendar.js"
import { GenericColumns, SimplicityColumns } from "../src/domain/imports/columns.js"
import {
  AllowedAreaCodes,
  csvField,
  csvLines,
  generate,
  generateRows,
  NyCounties,
  ReservedEmailDomains,
  type SyntheticJudgment,
  type SyntheticOptions,
  syntheticPlaintiffs,
  titleCase,
  toCsv
} from "../src/domain/synthetic/index.js"

const asOf = "2026-06-15"
const options: SyntheticOptions = { seed: 20260615, plaintiffs: 12, judgments: 10_000, asOf, plaintiffIds: ["12345", "p-2"] }
const { judgments: rows, plaintiffs } = generate(options)

const columnsOf = (row: SyntheticJudgment) => Object.keys(row) as ReadonlyArray<keyof SyntheticJudgment>
const share = (predicate: (row: SyntheticJudgment) => boolean, of: ReadonlyArray<SyntheticJudgment> = rows) =>
  of.filter(predicate).length / of.length

/** MM/DD/YYYY, M/D/YY (20YY) or ISO → ISO; null when none of them. */
const isoDate = (text: string): string | null => {
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return text
  const us = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(text)
  if (us) return `${us[3]}-${us[1]}-${us[2]}`
  const short = /^(\d{1,2})\/(\d{1,2})\/(\d{2})$/.exec(text)
  if (short) return `20${short[3]}-${short[1]!.padStart(2, "0")}-${short[2]!.padStart(2, "0")}`
  return null
}
const validIso = (iso: string) => new Date(`${iso}T00:00:00Z`).toISOString().slice(0, 10) === iso

/** `$1,234.56` or `1234.56` → cents; null otherwise. */
const cents = (text: string): number | null => {
  if (!/^(\$\d{1,3}(,\d{3})*|\d+)\.\d{2}$/.test(text)) return null
  const [whole, frac] = text.replace(/[$,]/g, "").split(".")
  return Number(whole) * 100 + Number(frac)
}
const money = (text: string) => {
  const value = cents(text)
  assert.isNotNull(value, `money ${JSON.stringify(text)}`)
  return value!
}
const date = (text: string) => {
  const value = isoDate(text)
  assert.isNotNull(value, `date ${JSON.stringify(text)}`)
  return value!
}

/** A strict RFC 4180 reader (csv-parse is not installed here): records of fields, BOM kept in the first field. */
const parseCsv = (text: string, eol: "\n" | "\r\n"): Array<Array<string>> => {
  const records: Array<Array<string>> = []
  let record: Array<string> = []
  let i = 0
  while (i < text.length) {
    let field = ""
    if (text[i] === "\"") {
      i++
      for (;;) {
        const q = text.indexOf("\"", i)
        if (q < 0) throw new Error(`unterminated quote at ${i}`)
        field += text.slice(i, q)
        if (text[q + 1] === "\"") {
          field += "\""
          i = q + 2
        } else {
          i = q + 1
          break
        }
      }
    } else {
      let end = i
      while (end < text.length && text[end] !== "," && !text.startsWith(eol, end)) {
        if (text[end] === "\"" || text[end] === "\n" || text[end] === "\r") throw new Error(`bare ${JSON.stringify(text[end])} at ${end}`)
        end++
      }
      field = text.slice(i, end)
      i = end
    }
    record.push(field)
    if (text[i] === ",") {
      i++
    } else if (text.startsWith(eol, i)) {
      i += eol.length
      records.push(record)
      record = []
    } else if (i < text.length) {
      throw new Error(`unexpected ${JSON.stringify(text[i])} at ${i}`)
    }
  }
  if (record.length > 0) records.push(record)
  return records
}

const normaliseHeader = (header: string) => header.replace(/^\uFEFF/, "").trim().toLowerCase().replace(/\s+/g, "_")

describe("synthetic judgments", () => {
  it("is reproducible from the seed and differs for another seed", () => {
    const small = { ...options, judgments: 2_000 }
    const a = toCsv("simplicity", generate(small).judgments)
    const b = toCsv("simplicity", generate(small).judgments)
    assert.strictEqual(a, b)
    assert.strictEqual(toCsv("generic", generate(small).judgments), toCsv("generic", generate(small).judgments))
    const other = toCsv("simplicity", generate({ ...small, seed: small.seed + 1 }).judgments)
    assert.notStrictEqual(a, other)
    assert.deepStrictEqual(syntheticPlaintiffs(small), generate(small).plaintiffs)
  })

  it("streams exactly the text of toCsv", () => {
    const small = { ...options, judgments: 3_000 }
    const whole = generate(small).judgments
    for (const layout of ["simplicity", "generic"] as const) {
      for (const csv of [{}, { headers: "titled", lineEnding: "\r\n", bom: true }] as const) {
        assert.strictEqual(Array.from(csvLines(layout, generateRows(small), csv)).join(""), toCsv(layout, whole, csv))
      }
    }
    assert.deepStrictEqual(Array.from(generateRows(small)), whole)
  })

  it("has the requested counts, spread unevenly over the plaintiffs", () => {
    assert.strictEqual(rows.length, 10_000)
    assert.strictEqual(plaintiffs.length, 12)
    assert.strictEqual(plaintiffs.reduce((n, p) => n + p.judgments, 0), 10_000)
    for (const p of plaintiffs) {
      assert.strictEqual(rows.filter((r) => r.plaintiff_id === p.id).length, p.judgments)
      assert.isAtLeast(p.judgments, 1)
    }
    const sizes = plaintiffs.map((p) => p.judgments).sort((a, b) => b - a)
    assert.isAbove(sizes[0]!, 10_000 / 12 * 2)
    assert.isAbove(sizes[0]! / sizes[sizes.length - 1]!, 5)
    assert.strictEqual(new Set(plaintiffs.map((p) => p.id)).size, 12)
    assert.strictEqual(new Set(plaintiffs.map((p) => p.name.toLowerCase())).size, 12)

    const few = generate({ seed: 1, plaintiffs: 5, judgments: 3, asOf })
    assert.strictEqual(few.judgments.length, 3)
    assert.strictEqual(few.plaintiffs.length, 5)
    assert.strictEqual(generate({ seed: 1, plaintiffs: 0, judgments: 0, asOf }).judgments.length, 0)
    const many = syntheticPlaintiffs({ seed: 1, plaintiffs: 300, judgments: 300, asOf })
    assert.strictEqual(new Set(many.map((p) => p.name.toLowerCase())).size, 300)
  })

  it("uses the fixed plaintiff ids for the first plaintiffs", () => {
    assert.strictEqual(plaintiffs[0]!.id, "12345")
    assert.strictEqual(plaintiffs[1]!.id, "p-2")
    assert.isTrue(rows.some((r) => r.plaintiff_id === "12345"))
    assert.isTrue(rows.some((r) => r.plaintiff_id === "p-2"))
    const [header, ...body] = parseCsv(toCsv("generic", rows), "\n")
    const at = header!.indexOf("plaintiff_id")
    assert.strictEqual(at, 0)
    assert.isTrue(body.some((r) => r[at] === "12345"))
    for (const r of rows) {
      assert.strictEqual(r.client_name, r.plaintiff_name)
      assert.strictEqual(plaintiffs.find((p) => p.id === r.plaintiff_id)?.name, r.plaintiff_name)
    }
  })

  it("rejects options it cannot honour", () => {
    assert.throws(() => generate({ seed: 1, plaintiffs: 1, judgments: 1, asOf, plaintiffIds: ["a", "b"] }))
    assert.throws(() => generate({ seed: 1, plaintiffs: 2, judgments: 1, asOf, plaintiffIds: ["a", "a"] }))
    assert.throws(() => generate({ seed: 1, plaintiffs: 0, judgments: 1, asOf }))
    assert.throws(() => generate({ seed: 1, plaintiffs: 1, judgments: 1, asOf: "2026-02-30" }))
    assert.throws(() => generate({ seed: 1, plaintiffs: 1, judgments: 1.5, asOf }))
    assert.throws(() => generate({ seed: 0.5, plaintiffs: 1, judgments: 1, asOf }))
    assert.throws(() => generate({ seed: 1, plaintiffs: 1, judgments: 1, asOf: "2003-12-31" }))
  })

  it("writes only fictional contact data", () => {
    const areaCodes = new Set(AllowedAreaCodes)
    const domains = new Set(ReservedEmailDomains)
    const problems: Array<string> = []
    const check = (ok: boolean, what: string) => {
      if (!ok && problems.length < 20) problems.push(what)
    }
    for (const r of rows) {
      if (r.debtor_phone !== "") {
        check(/^\(\d{3}\) 555-01\d\d$/.test(r.debtor_phone) && areaCodes.has(r.debtor_phone.slice(1, 4)), r.debtor_phone)
      }
      if (r.debtor_email !== "") {
        const [local, domain, ...rest] = r.debtor_email.split("@")
        check(rest.length === 0 && /^[a-z0-9.]+$/.test(local!), r.debtor_email)
        check(domains.has(domain!), r.debtor_email)
        check(/^example\.(com|org|net)$/.test(domain!) || /\.(test|invalid)$/.test(domain!), r.debtor_email)
      }
      check(/^(\d{4})?$/.test(r.last_four_ssn), r.last_four_ssn)
      check(r.plaintiff_name.endsWith(" (TEST)"), r.plaintiff_name)
      check(/^(Example|Sample|Demo|Placeholder|Fictional|Mock|Specimen|Testbed) /.test(r.plaintiff_name), r.plaintiff_name)
      check(r.creditor === "" || r.creditor.endsWith(" (TEST)"), r.creditor)
      check(r.is_synthetic === "true", r.is_synthetic)
      for (const column of columnsOf(r)) {
        check(!/\d{9}/.test(r[column]), `${column}: ${r[column]}`)
        check(!/\b\d{3}-\d{2}-\d{4}\b/.test(r[column]), `${column}: ${r[column]}`)
      }
    }
    assert.deepStrictEqual(problems, [])
    assert.isAbove(share((r) => r.debtor_phone !== ""), 0.5)
    assert.isAbove(share((r) => r.debtor_email !== ""), 0.3)
    assert.isTrue(rows.some((r) => r.last_four_ssn.startsWith("0")))
    assert.isTrue(rows.some((r) => r.last_four_ssn === ""))
    assert.notMatch(toCsv("generic", rows), /\d{9}/)
  })

  it("uses real places, the listed courts and the observed index formats", () => {
    const nyByName = new Map(NyCounties.map((c) => [c.name, c]))
    const boroughs: Record<string, string> = { "New York": "NY", Kings: "KI", Queens: "QU", Bronx: "BX", Richmond: "RI" }
    for (const r of rows) {
      assert.match(r.debtor_zip, /^\d{5}$/)
      assert.include(["NY", "NJ", "CT"], r.debtor_state)
      if (r.debtor_state === "NY") {
        const county = nyByName.get(r.debtor_county)
        assert.isDefined(county, r.debtor_county)
        const place = county!.places.find((p) => p.city === r.debtor_city)
        assert.isDefined(place, `${r.debtor_city} in ${r.debtor_county}`)
        assert.include(place!.zips, r.debtor_zip)
      }
      if (r.debtor_state === "NJ") assert.match(r.debtor_zip, /^07\d{3}$/)
      if (r.debtor_state === "CT") assert.match(r.debtor_zip, /^06\d{3}$/)
      assert.isTrue(nyByName.has(r.court_county), r.court_county)
      assert.include(r.court_name, r.court_name.includes("City Court") ? "City Court" : r.court_county)
      if (r.court_name.startsWith("Civil Court of the City of New York, County of ")) {
        assert.strictEqual(r.court_name, `Civil Court of the City of New York, County of ${r.court_county}`)
        assert.match(r.index_number, /^CV-\d{6}-\d{2}\/(NY|KI|QU|BX|RI)$/)
        assert.isTrue(r.index_number.endsWith(`/${boroughs[r.court_county]}`), `${r.index_number} ${r.court_county}`)
      } else {
        assert.match(r.index_number, /^\d{5,6}\/20\d{2}$/)
        assert.match(
          r.court_name,
          /^(Supreme Court of the State of New York, County of .+|District Court of (Nassau|Suffolk) County|[A-Za-z ]+ City Court|[A-Za-z ]+ County Court)$/
        )
      }
      for (const county of [r.real_property_county, ...r.transcript_county_list.split(";")]) {
        if (county !== "") assert.isTrue(nyByName.has(county), county)
      }
      if (r.transcript_county_list !== "") assert.notInclude(r.transcript_county_list.split(";"), r.court_county)
    }
    const tiers = new Set(rows.filter((r) => r.debtor_state === "NY").map((r) => nyByName.get(r.debtor_county)!.tier))
    assert.deepStrictEqual([...tiers].sort(), [125, 150, 75])
    assert.strictEqual(new Set(rows.map((r) => r.debtor_county).filter((c) => nyByName.has(c))).size, 16)
    for (const state of ["NJ", "CT"]) assert.isTrue(rows.some((r) => r.debtor_state === state && r.debtor_zip.startsWith("0")))
    assert.isTrue(rows.some((r) => r.court_name === "Civil Court of the City of New York, County of Kings"))
    assert.isTrue(rows.some((r) => r.court_name === "Supreme Court of the State of New York, County of Nassau"))
    assert.isTrue(rows.some((r) => r.court_name === "District Court of Suffolk County"))
    assert.isTrue(rows.some((r) => r.court_name === "Buffalo City Court"))
    const courtIndexes = rows.map((r) => `${r.court_name}|${r.index_number}`)
    assert.strictEqual(new Set(courtIndexes).size, rows.length)
  })

  it("writes keys, flags and statuses in the importer's formats", () => {
    for (const r of rows) {
      assert.match(r.case_number, /^SIM-\d{6,}$/)
      assert.match(r.judgment_id, /^J-\d{6,}$/)
      assert.match(r.debtor_payment_id, /^PAY-[0-9A-Z]{7}$/)
      assert.include(["C", "N"], r.account_type)
      assert.include(["Y", "N", ""], r.bankruptcy_flag)
      assert.include(["Y", "N", ""], r.deceased_flag)
      assert.include(["open", "partially_satisfied", "satisfied", "vacated"], r.status)
      assert.include(["2", "9"], r.interest_rate)
      if (r.action_codes !== "") assert.match(r.action_codes, /^[A-Z]+(;[A-Z]+)*$/)
    }
    for (const key of ["case_number", "judgment_id", "debtor_payment_id"] as const) {
      assert.strictEqual(new Set(rows.map((r) => r[key])).size, rows.length, key)
    }
    assert.strictEqual(generate({ ...options, judgments: 3, caseNumberPrefix: "DEMO" }).judgments[0]!.case_number, "DEMO-000001")
    assert.isAbove(share((r) => r.status === "open"), 0.6)
    for (const status of ["partially_satisfied", "satisfied", "vacated"]) assert.isTrue(rows.some((r) => r.status === status))
    assert.isTrue(rows.some((r) => r.bankruptcy_flag === ""))
    assert.isTrue(rows.some((r) => r.transcript_county_list.includes(";")))
    assert.isTrue(rows.some((r) => r.action_codes.includes(";")))
  })

  it("writes dates and money the importer parses, consistently", () => {
    const styles = { us: 0, iso: 0, short: 0 }
    for (const r of rows) {
      if (/^\d{2}\/\d{2}\/\d{4}$/.test(r.judgment_date)) styles.us++
      else if (/^\d{4}-\d{2}-\d{2}$/.test(r.judgment_date)) styles.iso++
      else if (/^\d{1,2}\/\d{1,2}\/\d{2}$/.test(r.judgment_date)) styles.short++
      const entry = date(r.judgment_date)
      assert.isTrue(validIso(entry), entry)
      assert.isTrue(entry >= "2004-01-01" && entry <= asOf, entry)
      for (const other of [r.interest_from_date, r.last_payment_date, r.debtor_dob]) {
        if (other !== "") assert.isTrue(validIso(date(other)), other)
      }
      if (r.interest_from_date !== "") assert.strictEqual(date(r.interest_from_date), entry)
      if (r.debtor_dob !== "") assert.isAtLeast(wholeYearsBetween(date(r.debtor_dob), entry), 18)
      const amount = money(r.judgment_amount)
      const costs = money(r.costs)
      const paid = money(r.payments_to_date)
      const balance = money(r.current_balance_due)
      assert.isAtMost(balance, amount + costs)
      assert.isAtMost(paid, amount + costs)
      if (r.status === "vacated") assert.strictEqual(balance, 0)
      else assert.strictEqual(balance, amount + costs - paid)
      if (r.status === "satisfied") assert.strictEqual(balance, 0)
      if (r.status === "partially_satisfied") assert.isTrue(paid > 0 && balance > 0)
      if (r.last_payment_date === "") {
        assert.strictEqual(paid, 0)
        assert.strictEqual(r.last_payment_amount, "")
      } else {
        const last = date(r.last_payment_date)
        assert.isTrue(last >= entry && last <= asOf, `${entry} ${last}`)
        assert.isAbove(money(r.last_payment_amount), 0)
        assert.isAtMost(money(r.last_payment_amount), paid)
      }
      const consumer = r.account_type === "N" && r.debtor_first_name !== "" && r.debtor_last_name !== ""
      assert.strictEqual(r.interest_rate, consumer && entry >= "2022-04-30" ? "2" : "9", `${r.account_type} ${entry}`)
    }
    assert.isAbove(styles.us / rows.length, 0.7)
    assert.isAbove(styles.iso, 0)
    assert.isAbove(styles.short, 0)
    assert.isTrue(rows.some((r) => r.judgment_amount.startsWith("$") && r.judgment_amount.includes(",")))
    assert.isTrue(rows.some((r) => /^\d+\.\d{2}$/.test(r.judgment_amount)))
  })

  it("draws amounts log-normally: median $3–5k, a tail towards $150k", () => {
    const amounts = rows.map((r) => money(r.judgment_amount) / 100).sort((a, b) => a - b)
    const median = amounts[Math.floor(amounts.length / 2)]!
    assert.isTrue(median >= 3_000 && median <= 5_000, `median ${median}`)
    assert.isAbove(amounts[amounts.length - 1]!, 50_000)
    assert.isAtMost(amounts[amounts.length - 1]!, 150_000)
    assert.isAbove(amounts.filter((a) => a < 1_000).length, 0)
  })

  it("includes the date-range cases of §6", () => {
    const entry = (r: SyntheticJudgment) => date(r.judgment_date)
    const twentyYearsAgo = addYears(asOf, -20)
    const over20 = rows.filter((r) => entry(r) < twentyYearsAgo)
    const nineToTen = rows.filter((r) => wholeYearsBetween(entry(r), asOf) === 9)
    const preRateOpenConsumer = rows.filter((r) =>
      r.account_type === "N" && entry(r) < "2022-04-30" && money(r.current_balance_due) > 0 &&
      (r.status === "open" || r.status === "partially_satisfied")
    )
    const postRateConsumer = rows.filter((r) => r.account_type === "N" && entry(r) >= "2022-04-30")
    assert.isAbove(over20.length / rows.length, 0.03)
    assert.isAbove(nineToTen.length / rows.length, 0.06)
    assert.isAbove(preRateOpenConsumer.length / rows.length, 0.3)
    assert.isAbove(postRateConsumer.length, 0)
    assert.isTrue(rows.some((r) => entry(r) < "2005-01-01"))
    assert.isTrue(rows.some((r) => entry(r) > addMonths(asOf, -3)))
  })

  it("has roughly the business and facts shares of §6", () => {
    const within = (label: string, value: number, lo: number, hi: number) =>
      assert.isTrue(value >= lo && value <= hi, `${label}: ${value.toFixed(3)} not in [${lo}, ${hi}]`)
    const business = (r: SyntheticJudgment) => r.debtor_company_name !== ""
    for (const r of rows) {
      if (business(r)) {
        assert.strictEqual(r.debtor_first_name, "")
        assert.strictEqual(r.debtor_last_name, "")
        assert.strictEqual(r.account_type, "C")
        assert.strictEqual(r.last_four_ssn, "")
      } else {
        assert.notStrictEqual(r.debtor_first_name, "")
        assert.notStrictEqual(r.debtor_last_name, "")
      }
    }
    const recent = addMonths(asOf, -24)
    within("business", share(business), 0.12, 0.18)
    within("employer", share((r) => r.employer_name !== ""), 0.33, 0.47)
    within("bank", share((r) => r.bank_name !== ""), 0.25, 0.35)
    within("property", share((r) => r.real_property_county !== ""), 0.07, 0.13)
    within("bankruptcy", share((r) => r.bankruptcy_flag === "Y"), 0.015, 0.05)
    within("deceased", share((r) => r.deceased_flag === "Y"), 0.003, 0.02)
    within("payment in 24 months", share((r) => r.last_payment_date !== "" && date(r.last_payment_date) > recent), 0.16, 0.24)
    within("out of state", share((r) => r.debtor_state !== "NY"), 0.03, 0.08)
    assert.isTrue(rows.some((r) => business(r) && r.debtor_company_name.includes(",")))
  })

  it("writes CSV that parses back to the same values, in every header style, line ending and with a BOM", () => {
    const sample = rows.slice(0, 2_000)
    for (const layout of ["simplicity", "generic"] as const) {
      const canonical = layout === "simplicity" ? SimplicityColumns : GenericColumns
      for (const headers of ["canonical", "titled"] as const) {
        for (const lineEnding of ["\n", "\r\n"] as const) {
          for (const bom of [false, true]) {
            const text = toCsv(layout, sample, { headers, lineEnding, bom })
            assert.strictEqual(text.startsWith("\uFEFF"), bom)
            assert.isTrue(text.endsWith(lineEnding))
            if (lineEnding === "\n") assert.notInclude(text, "\r")
            else assert.strictEqual(text.split("\r\n").length - 1, text.split("\n").length - 1)
            const [header, ...body] = parseCsv(text.replace(/^\uFEFF/, ""), lineEnding)
            assert.deepStrictEqual(header, canonical.map((c) => (headers === "titled" ? titleCase(c) : c)))
            assert.deepStrictEqual(header!.map(normaliseHeader), [...canonical])
            assert.strictEqual(body.length, sample.length)
            body.forEach((record, i) => {
              assert.deepStrictEqual(record, canonical.map((c) => sample[i]![c]))
            })
          }
        }
      }
    }
    assert.strictEqual(titleCase("debtor_first_name"), "Debtor First Name")
    assert.strictEqual(titleCase("client_name"), "Client Name")
    assert.strictEqual(titleCase("current_balance_due"), "Current Balance Due")
  })

  it("quotes fields by RFC 4180", () => {
    assert.strictEqual(csvField("plain"), "plain")
    assert.strictEqual(csvField(""), "")
    assert.strictEqual(csvField("Acme Widgets, Inc."), "\"Acme Widgets, Inc.\"")
    assert.strictEqual(csvField("The \"Best\" Deli"), "\"The \"\"Best\"\" Deli\"")
    assert.strictEqual(csvField("two\nlines"), "\"two\nlines\"")
    assert.strictEqual(csvField("cr\rhere"), "\"cr\rhere\"")
    const odd = { ...rows[0]!, debtor_address_two: "line one\r\nline \"two\"", employer_name: "A, B & \"C\"" }
    const [, record] = parseCsv(toCsv("simplicity", [odd], { lineEnding: "\r\n" }), "\r\n")
    assert.deepStrictEqual(record, SimplicityColumns.map((c) => odd[c]))
    const text = toCsv("simplicity", rows.slice(0, 500))
    assert.isTrue(rows.slice(0, 500).some((r) => r.court_name.includes(",")))
    assert.include(text, "\"Civil Court of the City of New York, County of ")
  })
})
