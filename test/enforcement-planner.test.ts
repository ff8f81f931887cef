import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { readFileSync } from "node:fs"
import { addDays } from "../src/domain/calendar.js"
import {
  decodeEnforcementRules,
  defaultEnforcementRules as rules,
  type EnforcementRecord,
  type EnforcementRules,
  isConsumerJudgment,
  type PlanDraft,
  planEnforcement,
  PLANNER_VERSION,
  type PriorTask,
  recordedPayments,
  type RuleId,
  RuleIds,
  type TaskDraft
} from "../src/domain/enforcement/index.js"

const asOf = "2026-06-15"

/**
 * An individual consumer debtor in Kings County, a NYC Civil Court judgment entered 2023-06-15
 * (after the rate switch, at 2% on record), nothing known about assets: only R1 fires.
 */
const record = (overrides: Partial<EnforcementRecord> = {}): EnforcementRecord => ({
  orgId: "00000000-0000-4000-8000-000000000001",
  judgmentId: "j-001",
  plaintiffId: "p-001",
  status: "open",
  judgmentDate: "2023-06-15",
  lastPaymentDate: null,
  lastAcknowledgmentDate: null,
  balanceCents: 200_000,
  debtorFirstName: "Pat",
  debtorLastName: "Example",
  debtorCompanyName: null,
  debtorDob: null,
  employerName: null,
  employmentType: null,
  employmentVerifiedAt: null,
  bankName: null,
  bankState: null,
  bankIdentifiedAt: null,
  bankExemptOnly: false,
  realPropertyCounty: null,
  realPropertyState: null,
  propertyEquityCents: null,
  propertyLiensCents: null,
  propertyAsOf: null,
  businessStatus: null,
  businessStatusAsOf: null,
  incomeOnlyExempt: false,
  incomeAsOf: null,
  addressVerifiedAt: "2026-01-01",
  addressReturnedMail: false,
  addressReturnedMailAt: null,
  phoneWorking: false,
  phoneVerifiedAt: null,
  emailConsented: false,
  emailConsentAt: null,
  bankruptcyStatus: "none",
  bankruptcyReaffirmed: false,
  bankruptcyAsOf: "2026-06-01",
  deceased: false,
  deceasedAsOf: null,
  scraActiveDuty: false,
  scraCheckedAt: null,
  otherJudgmentsCount: null,
  otherJudgmentsAsOf: null,
  paymentPlanBroken: false,
  paymentPlanAsOf: null,
  accountType: "N",
  consumer: true,
  judgmentAmountCents: 200_000,
  costsCents: null,
  interestRatePercent: 2,
  paymentsToDateCents: null,
  lastPaymentAmountCents: null,
  courtName: "Civil Court of the City of New York, County of Kings",
  courtCounty: "Kings",
  indexNumber: "CV-012345-23/KI",
  transcriptCounties: [],
  debtorState: "NY",
  debtorCounty: "Kings",
  employerAddress: null,
  employerState: null,
  ...overrides
})

const business = {
  debtorFirstName: null,
  debtorLastName: null,
  debtorCompanyName: "Acme Widgets, Inc.",
  accountType: "C",
  consumer: false
} as const
const w2 = {
  employerName: "Example Logistics LLC",
  employmentType: "w2",
  employerAddress: "1 Main St, Brooklyn, NY 11201",
  employerState: "NY"
} as const
const bank = { bankName: "Example Savings Bank", bankState: "NY", bankIdentifiedAt: "2026-05-01" } as const
const supremeNassau = { courtName: "Supreme Court of the State of New York, County of Nassau", courtCounty: "Nassau" } as const

const prior = (overrides: Partial<PriorTask> = {}): PriorTask => ({
  ruleId: "R3",
  action: "restraining_notice_bank",
  status: "done",
  garnishee: "Example Savings Bank",
  createdOn: "2025-01-10",
  ...overrides
})

/** Plans, and checks what must hold for every plan. */
const plan = (
  overrides: Partial<EnforcementRecord> = {},
  priorTasks: ReadonlyArray<PriorTask> = [],
  at = asOf,
  withRules: EnforcementRules = rules
): PlanDraft => {
  const result = planEnforcement(record(overrides), priorTasks, at, withRules)
  assert.strictEqual(result.plannerVersion, PLANNER_VERSION)
  assert.deepStrictEqual(result.gates.map((gate) => gate.code), ["G1", "G2", "G3", "G4", "G5"])
  assert.deepStrictEqual(result.rules.map((rule) => rule.ruleId), [...RuleIds])
  assert.strictEqual(result.ratePercent, result.interest.rateNowPercent)
  for (const rule of result.rules) assert.isAbove(rule.reason.length, 0)
  for (const task of result.tasks) {
    assert.strictEqual(result.rules.find((rule) => rule.ruleId === task.ruleId)!.outcome, "fired")
    assert.strictEqual(task.status === "blocked", task.preconditions.some((p) => !p.ok))
    assert.strictEqual(task.requiresAttorneySignoff, withRules.attorneySignoffActions.includes(task.action))
    if (task.timer !== null) assert.strictEqual(task.dueDate, addDays(at, task.timer.days))
  }
  return result
}

const outcome = (result: PlanDraft, ruleId: RuleId) => result.rules.find((rule) => rule.ruleId === ruleId)!
const fired = (result: PlanDraft) => result.rules.filter((rule) => rule.outcome === "fired").map((rule) => rule.ruleId)
const tasksOf = (result: PlanDraft, ruleId: RuleId) => result.tasks.filter((task) => task.ruleId === ruleId)
const only = (result: PlanDraft, action: TaskDraft["action"]) => {
  const found = result.tasks.filter((task) => task.action === action)
  assert.strictEqual(found.length, 1, `one ${action} task`)
  return found[0]!
}
const failedPreconditions = (task: TaskDraft) => task.preconditions.filter((p) => !p.ok).map((p) => p.code)

describe("enforcement rules config", () => {
  it.effect("config/legal/enforcement.json decodes to exactly defaultEnforcementRules", () =>
    Effect.gen(function*() {
      const json: unknown = JSON.parse(readFileSync(new URL("../config/legal/enforcement.json", import.meta.url), "utf8"))
      const decoded = yield* decodeEnforcementRules(json)
      assert.deepStrictEqual(decoded, rules)
    }))

  it.effect("rejects a malformed rules file", () =>
    Effect.gen(function*() {
      const bad = { ...rules, interest: { ...rules.interest, consumerSwitchDate: "30/04/2022" } }
      const error = yield* Effect.flip(decodeEnforcementRules(bad))
      assert.include(error.message, "consumerSwitchDate")
      const unknownAction = { ...rules, attorneySignoffActions: ["levy_everything"] }
      yield* Effect.flip(decodeEnforcementRules(unknownAction))
    }))

  it("drives the planner: the numbers come from the rules, not the code", () => {
    const lastPaymentDate = addDays(asOf, -120)
    assert.strictEqual(outcome(plan({ lastPaymentDate }), "R8").outcome, "not_applicable")
    const wider = { ...rules, payment: { recentWindowDays: 180 } }
    assert.strictEqual(outcome(plan({ lastPaymentDate }, [], asOf, wider), "R8").outcome, "fired")
    const noSignoff = { ...rules, attorneySignoffActions: [] }
    assert.isFalse(only(plan({}, [], asOf, noSignoff), "information_subpoena_debtor").requiresAttorneySignoff)
  })
})

describe("the record", () => {
  it("derives the consumer flag from the account type, or the absence of a company name", () => {
    const individual = record({ debtorCompanyName: null })
    assert.isTrue(isConsumerJudgment(individual, "N"))
    assert.isFalse(isConsumerJudgment(individual, "C"))
    assert.isTrue(isConsumerJudgment(individual, null))
    assert.isFalse(isConsumerJudgment(record({ debtorCompanyName: "Pat's Deli" }), null))
    assert.isFalse(isConsumerJudgment(record(business), "N"))
  })

  it("credits the last payment on its date and the rest of the payments on the entry date", () => {
    assert.deepStrictEqual(
      recordedPayments(record({ paymentsToDateCents: 50_000, lastPaymentAmountCents: 20_000, lastPaymentDate: "2025-02-01" })),
      [{ date: "2023-06-15", cents: 30_000 }, { date: "2025-02-01", cents: 20_000 }]
    )
    assert.deepStrictEqual(recordedPayments(record({ paymentsToDateCents: 50_000 })), [{ date: "2023-06-15", cents: 50_000 }])
    assert.deepStrictEqual(recordedPayments(record()), [])
  })

  it("runs interest on the judgment amount plus costs at the correct rate", () => {
    // Commercial, entered 2025-06-15, $2,000 + $100 costs at 9% for 365 days = 18,900¢
    const result = plan({ ...business, judgmentDate: "2025-06-15", costsCents: 10_000, bankruptcyAsOf: null })
    assert.strictEqual(result.ratePercent, 9)
    assert.strictEqual(result.interest.interestAccruedCents, 18_900)
    assert.strictEqual(result.interest.totalDueCents, 228_900)
  })
})

describe("gates", () => {
  it("all pass for an open, live judgment", () => {
    const result = plan()
    assert.isTrue(result.gates.every((gate) => gate.passed))
    assert.strictEqual(outcome(result, "R9").outcome, "not_applicable")
    assert.strictEqual(outcome(result, "R10").outcome, "not_applicable")
  })

  for (const status of ["satisfied", "vacated"] as const) {
    it(`G1: a ${status} judgment blocks every action rule`, () => {
      const result = plan({ status, ...w2, ...bank })
      const g1 = result.gates[0]!
      assert.isFalse(g1.passed)
      assert.include(g1.reason, status)
      for (const rule of result.rules) {
        if (rule.ruleId === "R9" || rule.ruleId === "R10") assert.strictEqual(rule.outcome, "not_applicable")
        else {
          assert.strictEqual(rule.outcome, "blocked")
          assert.include(rule.reason, "G1")
        }
      }
      assert.deepStrictEqual(result.tasks, [])
    })
  }

  it("G2: expires the day after the 20th anniversary of the later of entry, payment and acknowledgment", () => {
    const entry = { judgmentDate: "2006-06-15" }
    assert.isTrue(plan(entry, [], "2026-06-15").gates[1]!.passed)
    const expired = plan(entry, [], "2026-06-16")
    assert.isFalse(expired.gates[1]!.passed)
    assert.include(expired.gates[1]!.reason, "2026-06-15")
    assert.strictEqual(outcome(expired, "R1").outcome, "blocked")
    assert.include(outcome(expired, "R7").reason, "G2")
    assert.isTrue(plan({ ...entry, lastPaymentDate: "2008-01-01" }, [], "2026-06-16").gates[1]!.passed)
    assert.isTrue(plan({ ...entry, lastAcknowledgmentDate: "2009-03-01" }, [], "2026-06-16").gates[1]!.passed)
  })

  it("G3: an open case or a discharge without reaffirmation fails; reaffirmed, dismissed or none passes", () => {
    assert.isFalse(plan({ bankruptcyStatus: "open" }).gates[2]!.passed)
    assert.isFalse(plan({ bankruptcyStatus: "discharged" }).gates[2]!.passed)
    assert.isTrue(plan({ bankruptcyStatus: "discharged", bankruptcyReaffirmed: true }).gates[2]!.passed)
    assert.isTrue(plan({ bankruptcyStatus: "dismissed" }).gates[2]!.passed)
    const unchecked = plan({ bankruptcyStatus: null })
    assert.isTrue(unchecked.gates[2]!.passed)
    assert.include(unchecked.gates[2]!.reason, "never checked")
  })

  it("G4: a deceased debtor fails and R10 fires", () => {
    const result = plan({ deceased: true, deceasedAsOf: "2026-05-01" })
    assert.isFalse(result.gates[3]!.passed)
    assert.include(result.gates[3]!.reason, "2026-05-01")
    assert.strictEqual(outcome(result, "R10").outcome, "fired")
  })

  it("G5: active military duty blocks every action rule and fires no stop rule", () => {
    const result = plan({ scraActiveDuty: true, scraCheckedAt: "2026-06-01", ...bank })
    assert.isFalse(result.gates[4]!.passed)
    assert.strictEqual(outcome(result, "R3").outcome, "blocked")
    assert.include(outcome(result, "R3").reason, "G5")
    assert.strictEqual(outcome(result, "R9").outcome, "not_applicable")
    assert.strictEqual(outcome(result, "R10").outcome, "not_applicable")
    assert.deepStrictEqual(result.tasks, [])
  })
})

describe("R1: nothing known", () => {
  it("fires with a debtor subpoena, a skip trace, a bank subpoena that needs a basis, and a day-14 review", () => {
    const result = plan()
    assert.deepStrictEqual(fired(result), ["R1"])
    assert.deepStrictEqual(result.tasks.map((task) => [task.action, task.status, task.dueDate]), [
      ["information_subpoena_debtor", "pending", "2026-06-22"],
      ["skip_trace", "pending", null],
      ["information_subpoena_bank", "blocked", "2026-06-22"],
      ["attorney_review_motion_to_compel", "pending", "2026-06-29"]
    ])
    const debtor = only(result, "information_subpoena_debtor")
    assert.isTrue(debtor.requiresAttorneySignoff)
    assert.deepStrictEqual(debtor.timer, { kind: "information_subpoena_answers", days: 7, from: "receipt" })
    assert.deepStrictEqual(debtor.draftKinds, ["information_subpoena", "cover_letter", "attorney_summary"])
    assert.deepStrictEqual(failedPreconditions(only(result, "information_subpoena_bank")), ["reasonable_belief_certified"])
    assert.deepStrictEqual(only(result, "attorney_review_motion_to_compel").draftKinds, ["attorney_summary"])
  })

  it("blocks the debtor subpoena when mail was returned", () => {
    const debtor = only(plan({ addressReturnedMail: true }), "information_subpoena_debtor")
    assert.deepStrictEqual(failedPreconditions(debtor), ["debtor_address_deliverable"])
  })

  it("does not fire once an employer, a bank or real property is known", () => {
    const facts = [{ employerName: "Example Logistics LLC" }, { bankName: "Example Savings Bank" }, { realPropertyCounty: "Kings" }]
    for (const known of facts) {
      const rule = outcome(plan(known), "R1")
      assert.strictEqual(rule.outcome, "not_applicable")
      assert.include(rule.reason, Object.values(known)[0]!)
    }
  })
})

describe("R2: income execution", () => {
  it("fires for a W-2 employer of a NY resident, with the Kings County wage floor", () => {
    const result = plan(w2)
    assert.deepStrictEqual(fired(result), ["R2"])
    const execution = only(result, "income_execution")
    assert.strictEqual(execution.status, "pending")
    assert.strictEqual(execution.garnishee, "Example Logistics LLC")
    assert.isTrue(execution.requiresAttorneySignoff)
    assert.deepStrictEqual(execution.timer, { kind: "debtor_first_service", days: 20, from: "service_on_debtor" })
    assert.strictEqual(execution.dueDate, "2026-07-05")
    assert.strictEqual(execution.details.maxWithholdingPercent, 10)
    // 30 × $17.00 = $510.00 a week
    assert.strictEqual(execution.details.weeklyWageFloorCents, 51_000)
    assert.strictEqual(execution.details.sheriffCounty, "Kings County")
    assert.include(execution.nextStep, "served first")
  })

  it("uses the rest-of-state wage outside NYC, Long Island and Westchester", () => {
    // 30 × $16.00 = $480.00
    assert.strictEqual(only(plan({ ...w2, debtorCounty: "Erie" }), "income_execution").details.weeklyWageFloorCents, 48_000)
  })

  it("treats an employer without a recorded type as wages, and says so", () => {
    const result = plan({ ...w2, employmentType: null })
    assert.strictEqual(outcome(result, "R2").outcome, "fired")
    assert.include(outcome(result, "R2").reason, "not recorded")
    assert.isTrue(only(result, "income_execution").details.employmentTypeAssumed)
  })

  it("does not fire for 1099 or self-employed income, or a debtor outside NY", () => {
    assert.strictEqual(outcome(plan({ ...w2, employmentType: "1099" }), "R2").outcome, "not_applicable")
    assert.strictEqual(outcome(plan({ ...w2, employmentType: "self_employed" }), "R2").outcome, "not_applicable")
    const nj = outcome(plan({ ...w2, debtorState: "NJ", debtorCounty: "Bergen" }), "R2")
    assert.strictEqual(nj.outcome, "not_applicable")
    assert.include(nj.reason, "NJ")
    assert.strictEqual(outcome(plan({ ...w2, debtorState: null }), "R2").outcome, "not_applicable")
  })

  it("flags an out-of-state employer for domestication", () => {
    const execution = only(plan({ ...w2, employerState: "NJ" }), "income_execution")
    assert.strictEqual(execution.status, "blocked")
    assert.deepStrictEqual(failedPreconditions(execution), ["employer_servable_in_ny"])
    assert.include(execution.preconditions[0]!.detail, "domestication")
  })

  it("issues no second execution while one is pending or waiting", () => {
    for (const status of ["pending", "waiting"] as const) {
      const execution = only(
        plan(w2, [prior({ ruleId: "R2", action: "income_execution", status, garnishee: "Example Logistics LLC" })]),
        "income_execution"
      )
      assert.strictEqual(execution.status, "blocked")
      assert.deepStrictEqual(failedPreconditions(execution), ["no_pending_income_execution"])
    }
    for (const status of ["held", "blocked", "done", "cancelled", "superseded"] as const) {
      const execution = only(plan(w2, [prior({ ruleId: "R2", action: "income_execution", status })]), "income_execution")
      assert.strictEqual(execution.status, "pending")
    }
  })

  it("needs the debtor's county for the sheriff", () => {
    const execution = only(plan({ ...w2, debtorCounty: null }), "income_execution")
    assert.deepStrictEqual(failedPreconditions(execution), ["debtor_county_known"])
  })
})

describe("R3 / R4: bank accounts", () => {
  it("R3: an individual's bank gets a restraint with exemption forms, a subpoena and a levy", () => {
    const result = plan(bank)
    assert.deepStrictEqual(fired(result), ["R3"])
    assert.strictEqual(outcome(result, "R4").outcome, "not_applicable")
    assert.deepStrictEqual(tasksOf(result, "R3").map((task) => [task.action, task.garnishee, task.status]), [
      ["restraining_notice_bank", "Example Savings Bank", "pending"],
      ["information_subpoena_bank", "Example Savings Bank", "pending"],
      ["property_execution", "Example Savings Bank", "pending"]
    ])
    const notice = only(result, "restraining_notice_bank")
    // 240 × $17.00 = $4,080.00 never restrained
    assert.strictEqual(notice.details.bankFloorCents, 408_000)
    assert.strictEqual(notice.details.exemptionClaimForms, 2)
    assert.strictEqual(notice.details.releaseAllExemptDays, 7)
    assert.strictEqual(notice.details.releaseOtherwiseDays, 8)
    assert.strictEqual(notice.details.restraintLapsesOn, "2027-06-15")
    assert.deepStrictEqual(notice.timer, { kind: "exemption_claim_window", days: 20, from: "bank_postmark" })
    assert.include(notice.nextStep, "$4,080.00")
    assert.deepStrictEqual(only(result, "property_execution").timer, { kind: "execution_return", days: 60, from: "delivery_to_officer" })
    assert.isTrue(result.tasks.every((task) => task.requiresAttorneySignoff))
  })

  it("R3: uses the highest NY wage when the debtor's county is unknown, the local one otherwise", () => {
    assert.strictEqual(only(plan({ ...bank, debtorCounty: null }), "restraining_notice_bank").details.bankFloorCents, 408_000)
    // 240 × $16.00 = $3,840.00
    assert.strictEqual(only(plan({ ...bank, debtorCounty: "Monroe" }), "restraining_notice_bank").details.bankFloorCents, 384_000)
  })

  it("R3: a second notice on the same bank (any case or spacing) needs leave of court", () => {
    for (const garnishee of ["Example Savings Bank", "  EXAMPLE   savings bank "]) {
      const notice = only(plan(bank, [prior({ garnishee })]), "restraining_notice_bank")
      assert.strictEqual(notice.status, "blocked")
      assert.deepStrictEqual(failedPreconditions(notice), ["no_earlier_notice_on_garnishee"])
      assert.include(notice.preconditions.find((p) => !p.ok)!.detail, "leave of court")
    }
    assert.strictEqual(only(plan(bank, [prior({ status: "waiting" })]), "restraining_notice_bank").status, "blocked")
    assert.strictEqual(only(plan(bank, [prior({ garnishee: "Other Bank" })]), "restraining_notice_bank").status, "pending")
    for (const status of ["held", "blocked", "cancelled", "superseded"] as const) {
      assert.strictEqual(only(plan(bank, [prior({ status })]), "restraining_notice_bank").status, "pending")
    }
    const pending = only(plan(bank, [prior({ status: "pending" })]), "restraining_notice_bank")
    assert.deepStrictEqual(failedPreconditions(pending), ["no_pending_notice_on_garnishee"])
  })

  it("R3: respects exempt-only accounts and out-of-state banks", () => {
    const exempt = plan({ ...bank, bankExemptOnly: true })
    assert.deepStrictEqual(failedPreconditions(only(exempt, "restraining_notice_bank")), ["funds_not_exempt_only"])
    assert.deepStrictEqual(failedPreconditions(only(exempt, "property_execution")), ["funds_not_exempt_only"])
    assert.strictEqual(only(exempt, "information_subpoena_bank").status, "pending")
    const nj = plan({ ...bank, bankState: "NJ" })
    assert.isTrue(tasksOf(nj, "R3").every((task) => failedPreconditions(task).includes("bank_in_ny")))
  })

  it("R4: a business debtor's bank gets no 5222-a forms and no wage floor, on the 1-year restraint clock", () => {
    const result = plan({ ...business, ...bank })
    assert.deepStrictEqual(fired(result), ["R4"])
    assert.include(outcome(result, "R3").reason, "R4")
    const notice = only(result, "restraining_notice_bank")
    assert.strictEqual(notice.ruleId, "R4")
    assert.isUndefined(notice.details.bankFloorCents)
    assert.deepStrictEqual(notice.timer, { kind: "restraint_validity", days: 365, from: "service_on_garnishee" })
    assert.notInclude(notice.preconditions.map((p) => p.code), "funds_not_exempt_only")
    const second = only(plan({ ...business, ...bank }, [prior({ ruleId: "R4" })]), "restraining_notice_bank")
    assert.deepStrictEqual(failedPreconditions(second), ["no_earlier_notice_on_garnishee"])
  })
})

describe("R5: real property", () => {
  it("dockets a transcript where the judgment is not docketed, then records the lien", () => {
    const result = plan({ realPropertyCounty: "Nassau County", realPropertyState: "NY" })
    assert.deepStrictEqual(fired(result), ["R5"])
    assert.deepStrictEqual(tasksOf(result, "R5").map((task) => [task.action, task.status]), [
      ["docket_transcript", "pending"],
      ["record_lien", "blocked"]
    ])
    assert.include(outcome(result, "R5").reason, "not docketed")
  })

  it("counts transcript counties, and the court county only for Supreme and County Court", () => {
    const transcript = plan({ realPropertyCounty: "Nassau", transcriptCounties: ["NASSAU county"] })
    assert.deepStrictEqual(tasksOf(transcript, "R5").map((task) => [task.action, task.status]), [["record_lien", "pending"]])
    assert.strictEqual(only(transcript, "record_lien").details.lienExpiresOn, "2033-06-15")
    const supreme = plan({ ...supremeNassau, realPropertyCounty: "Nassau" })
    assert.deepStrictEqual(tasksOf(supreme, "R5").map((task) => task.action), ["record_lien"])
    // A NYC Civil Court judgment makes no lien in its own county without a transcript.
    const civil = plan({ realPropertyCounty: "Brooklyn" })
    assert.deepStrictEqual(tasksOf(civil, "R5").map((task) => task.action), ["docket_transcript", "record_lien"])
  })

  it("asks for an execution-sale review only when equity exceeds homestead + liens", () => {
    // Nassau: $150,000 homestead; $200,000 equity > $150,000 + $40,000 liens
    const nassau = { ...supremeNassau, realPropertyCounty: "Nassau", propertyLiensCents: 4_000_000 }
    const above = plan({ ...nassau, propertyEquityCents: 20_000_000 })
    const review = only(above, "attorney_review_execution_sale")
    assert.strictEqual(review.details.homesteadCents, 15_000_000)
    assert.strictEqual(review.details.nonExemptEquityCents, 1_000_000)
    assert.deepStrictEqual(review.draftKinds, ["attorney_summary"])
    // Exactly $190,000 is not above.
    const hasReview = (result: PlanDraft) => result.tasks.some((task) => task.action === "attorney_review_execution_sale")
    assert.isFalse(hasReview(plan({ ...nassau, propertyEquityCents: 19_000_000 })))
    assert.isFalse(hasReview(plan({ ...nassau, propertyEquityCents: null })))
  })

  it("uses the county's homestead tier", () => {
    const tier = (county: string) => {
      const result = plan({ realPropertyCounty: county, transcriptCounties: [county], propertyEquityCents: 99_900_000 })
      return only(result, "attorney_review_execution_sale").details.homesteadCents
    }
    assert.strictEqual(tier("Orange"), 12_500_000)
    assert.strictEqual(tier("Erie"), 7_500_000)
    assert.strictEqual(tier("Putnam"), 15_000_000)
  })

  it("does not fire without NY real property", () => {
    assert.strictEqual(outcome(plan(), "R5").outcome, "not_applicable")
    const nj = outcome(plan({ realPropertyCounty: "Bergen", realPropertyState: "NJ" }), "R5")
    assert.strictEqual(nj.outcome, "not_applicable")
    assert.include(nj.reason, "NJ")
  })
})

describe("R6: lien renewal", () => {
  const docketed = { ...supremeNassau, realPropertyCounty: "Nassau", judgmentDate: "2017-06-15", interestRatePercent: 9 }

  it("fires exactly 9 years after docketing, due at the 10-year expiry", () => {
    const result = plan(docketed, [], "2026-06-15")
    assert.strictEqual(outcome(result, "R6").outcome, "fired")
    const renewal = only(result, "renewal_judgment_action")
    assert.strictEqual(renewal.dueDate, "2027-06-15")
    assert.isNull(renewal.timer)
    assert.isTrue(renewal.requiresAttorneySignoff)
    assert.isFalse(renewal.details.lienLapsed)
    assert.include(outcome(result, "R6").reason, "entry date")
  })

  it("does not fire the day before 9 years", () => {
    const rule = outcome(plan(docketed, [], "2026-06-14"), "R6")
    assert.strictEqual(rule.outcome, "not_applicable")
    assert.include(rule.reason, "2026-06-15")
  })

  it("says when the lien has already lapsed", () => {
    const renewal = only(plan({ ...docketed, judgmentDate: "2015-06-01" }), "renewal_judgment_action")
    assert.isTrue(renewal.details.lienLapsed)
    assert.include(renewal.nextStep, "lapsed")
  })

  it("needs a lien in the property's county and the property still on file", () => {
    assert.strictEqual(outcome(plan({ ...docketed, realPropertyCounty: "Suffolk" }), "R6").outcome, "not_applicable")
    assert.strictEqual(outcome(plan({ ...docketed, realPropertyCounty: null }), "R6").outcome, "not_applicable")
  })
})

describe("R7: the 20-year presumption", () => {
  it("alerts from exactly 18 years after the clock starts", () => {
    const result = plan({ judgmentDate: "2008-06-15", interestRatePercent: 9 })
    assert.strictEqual(outcome(result, "R7").outcome, "fired")
    const alert = only(result, "presumption_alert")
    assert.strictEqual(alert.dueDate, "2028-06-15")
    assert.include(alert.nextStep, "acknowledgment")
    assert.strictEqual(outcome(plan({ judgmentDate: "2008-06-16", interestRatePercent: 9 }), "R7").outcome, "not_applicable")
  })

  it("restarts on a payment or a written acknowledgment", () => {
    const paid = outcome(plan({ judgmentDate: "2008-06-15", lastPaymentDate: "2012-01-01", interestRatePercent: 9 }), "R7")
    assert.strictEqual(paid.outcome, "not_applicable")
    assert.include(paid.reason, "2012-01-01")
    assert.strictEqual(outcome(plan({ judgmentDate: "2008-06-15", lastAcknowledgmentDate: "2009-01-01" }), "R7").outcome, "not_applicable")
  })
})

describe("R8: a recent payment", () => {
  it("fires at the edge of the window and holds new levies", () => {
    const result = plan({ ...bank, ...w2, lastPaymentDate: "2026-03-17", lastPaymentAmountCents: 5_000, paymentsToDateCents: 5_000 })
    assert.strictEqual(outcome(result, "R8").outcome, "fired")
    assert.deepStrictEqual(result.tasks.map((task) => [task.action, task.status]), [
      ["income_execution", "held"],
      ["restraining_notice_bank", "held"],
      ["information_subpoena_bank", "pending"],
      ["property_execution", "held"],
      ["installment_plan_proposal", "pending"]
    ])
    assert.deepStrictEqual(only(result, "installment_plan_proposal").draftKinds, ["cover_letter"])
  })

  it("does not fire a day outside the window, or when the plan is broken", () => {
    const outside = plan({ ...bank, lastPaymentDate: "2026-03-16" })
    assert.strictEqual(outcome(outside, "R8").outcome, "not_applicable")
    assert.strictEqual(only(outside, "restraining_notice_bank").status, "pending")
    const broken = plan({ ...bank, lastPaymentDate: "2026-06-01", paymentPlanBroken: true })
    assert.strictEqual(outcome(broken, "R8").outcome, "not_applicable")
    assert.include(outcome(broken, "R8").reason, "broken")
    assert.strictEqual(only(broken, "restraining_notice_bank").status, "pending")
  })

  it("keeps a levy with a failed precondition blocked, not held", () => {
    const result = plan({ ...bank, lastPaymentDate: "2026-06-01" }, [prior()])
    assert.strictEqual(only(result, "restraining_notice_bank").status, "blocked")
    assert.strictEqual(only(result, "property_execution").status, "held")
  })
})

describe("R9: bankruptcy", () => {
  const outstanding = [
    prior({ status: "waiting", createdOn: "2026-02-01" }),
    prior({
      ruleId: "R2",
      action: "income_execution",
      status: "pending",
      garnishee: "Example Logistics LLC",
      createdOn: "2026-03-01"
    }),
    prior({ action: "property_execution", status: "done", createdOn: "2025-06-01" }),
    prior({ ruleId: "R1", action: "skip_trace", status: "pending", garnishee: null })
  ]

  it("stops everything, withdraws the pending and waiting executions and restraints, and files a claim", () => {
    const result = plan({ ...w2, ...bank, bankruptcyStatus: "open", bankruptcyAsOf: "2026-06-10" }, outstanding)
    assert.deepStrictEqual(fired(result), ["R9"])
    assert.deepStrictEqual(result.tasks.map((task) => task.action), ["stop_enforcement", "withdraw_executions", "proof_of_claim"])
    const withdraw = only(result, "withdraw_executions")
    assert.strictEqual(withdraw.dueDate, asOf)
    assert.deepStrictEqual(withdraw.details.process, [
      {
        ruleId: "R3",
        action: "restraining_notice_bank",
        garnishee: "Example Savings Bank",
        status: "waiting",
        createdOn: "2026-02-01"
      },
      {
        ruleId: "R2",
        action: "income_execution",
        garnishee: "Example Logistics LLC",
        status: "pending",
        createdOn: "2026-03-01"
      }
    ])
    assert.include(only(result, "proof_of_claim").nextStep, "bar date")
    assert.strictEqual(outcome(result, "R2").outcome, "blocked")
    assert.include(outcome(result, "R2").reason, "G3")
  })

  it("has nothing to withdraw when no process is outstanding; a discharge still gets a claim review", () => {
    const result = plan({ bankruptcyStatus: "discharged" })
    assert.deepStrictEqual(result.tasks.map((task) => task.action), ["stop_enforcement", "proof_of_claim"])
    assert.include(outcome(result, "R9").reason, "no outstanding")
  })

  it("is not applicable when the bankruptcy was dismissed", () => {
    const result = plan({ bankruptcyStatus: "dismissed" })
    assert.strictEqual(outcome(result, "R9").outcome, "not_applicable")
    assert.include(outcome(result, "R9").reason, "G3")
  })
})

describe("R10: deceased", () => {
  it("stops and opens an estate claim", () => {
    const result = plan({ ...bank, deceased: true }, [prior({ status: "waiting" })])
    assert.deepStrictEqual(fired(result), ["R10"])
    assert.deepStrictEqual(result.tasks.map((task) => task.action), ["stop_enforcement", "estate_claim"])
    assert.include(only(result, "stop_enforcement").nextStep, "Example Savings Bank")
    assert.strictEqual(outcome(result, "R9").outcome, "not_applicable")
  })

  it("fires beside R9 when both gates fail", () => {
    assert.deepStrictEqual(fired(plan({ deceased: true, bankruptcyStatus: "open" })), ["R9", "R10"])
  })
})

describe("R11: consumer rate migration", () => {
  const older = { judgmentDate: "2020-01-01", interestRatePercent: 9, balanceCents: 150_000 }

  it("recomputes an older consumer judgment at 2% and amends outstanding process", () => {
    const result = plan({ ...older, ...bank }, [prior({ status: "waiting", createdOn: "2021-05-01" })])
    assert.strictEqual(outcome(result, "R11").outcome, "fired")
    assert.include(outcome(result, "R11").reason, "9% on record")
    assert.strictEqual(result.ratePercent, 2)
    assert.deepStrictEqual(result.interest.periods.map((p) => [p.from, p.to, p.ratePercent]), [
      ["2020-01-01", "2022-04-30", 9],
      ["2022-04-30", "2026-06-15", 2]
    ])
    const recompute = only(result, "recompute_interest")
    assert.strictEqual(recompute.details.correctRatePercent, 2)
    assert.strictEqual(recompute.details.computedTotalDueCents, result.interest.totalDueCents)
    const amend = only(result, "amend_outstanding_process")
    assert.isTrue(amend.requiresAttorneySignoff)
    const amended = amend.details.process as ReadonlyArray<{ readonly action: string }>
    assert.deepStrictEqual(amended.map((p) => p.action), ["restraining_notice_bank"])
  })

  it("fires with no rate on record, and without an amend task when nothing is outstanding", () => {
    const result = plan({ ...older, interestRatePercent: null })
    assert.strictEqual(outcome(result, "R11").outcome, "fired")
    assert.deepStrictEqual(tasksOf(result, "R11").map((task) => task.action), ["recompute_interest"])
  })

  it("treats the switch date itself as after the switch", () => {
    assert.strictEqual(outcome(plan({ ...older, judgmentDate: "2022-04-30" }), "R11").outcome, "not_applicable")
    assert.strictEqual(outcome(plan({ ...older, judgmentDate: "2022-04-29" }), "R11").outcome, "fired")
  })

  it("does not fire when the rate is already 2%, nothing is open, the debt is commercial, or before the switch", () => {
    assert.strictEqual(outcome(plan({ ...older, interestRatePercent: 2 }), "R11").outcome, "not_applicable")
    assert.strictEqual(outcome(plan({ ...older, balanceCents: 0 }), "R11").outcome, "not_applicable")
    const commercial = plan({ ...older, ...business })
    assert.strictEqual(outcome(commercial, "R11").outcome, "not_applicable")
    assert.strictEqual(commercial.ratePercent, 9)
    assert.strictEqual(outcome(plan(older, [], "2022-04-29"), "R11").outcome, "not_applicable")
  })
})

describe("the plan as a whole", () => {
  const rich = {
    ...w2,
    ...bank,
    ...supremeNassau,
    debtorCounty: "Nassau",
    realPropertyCounty: "Nassau",
    realPropertyState: "NY",
    propertyEquityCents: 30_000_000,
    propertyLiensCents: 10_000_000,
    judgmentDate: "2017-06-15",
    interestRatePercent: 2,
    balanceCents: 250_000
  }

  it("fires several rules together", () => {
    const result = plan(rich)
    assert.deepStrictEqual(fired(result), ["R2", "R3", "R5", "R6"])
    assert.deepStrictEqual(result.tasks.map((task) => task.action), [
      "income_execution",
      "restraining_notice_bank",
      "information_subpoena_bank",
      "property_execution",
      "record_lien",
      "attorney_review_execution_sale",
      "renewal_judgment_action"
    ])
    assert.isTrue(result.tasks.every((task) => task.status === "pending"))
    // Amounts at the correct rate: a consumer judgment entered in 2017 accrues 2% now.
    assert.strictEqual((only(result, "income_execution").details.amountDue as { ratePercent: number }).ratePercent, 2)
    assert.deepStrictEqual(fired(plan({ ...rich, judgmentDate: "2020-01-01", interestRatePercent: 9 })), ["R2", "R3", "R5", "R11"])
  })

  it("is deterministic: same input, same plan, whatever the order of the earlier tasks", () => {
    const priors = [
      prior({ status: "waiting" }),
      prior({ action: "income_execution", garnishee: "X", status: "pending", createdOn: "2024-01-01" })
    ]
    const first = plan({ ...rich, bankruptcyStatus: "open" }, priors)
    const second = plan({ ...rich, bankruptcyStatus: "open" }, [...priors].reverse())
    assert.deepStrictEqual(first, second)
    assert.deepStrictEqual(JSON.parse(JSON.stringify(first)), first)
    assert.deepStrictEqual(plan(rich), plan(rich))
  })
})
