// Package translate maps clinic records (package clinic) to FHIR R4
// resources (package r4) and back. Every function here is pure and
// deterministic: the same record and configuration always give the same
// resources, byte for byte, and ToClinic gives back the record field for
// field, number and time literals included.
//
// # Identity
//
// A record maps to the same FHIR identity every time. The logical id of each
// resource is a UUIDv5 over the configured namespace and the name
// "<FHIRType>/<kind>/<clinic id>[#role]" (see Translator.ID); the role tells
// apart the several resources one record maps to (a patient's weight
// Observation, its Condition per diagnosis …). Every resource also carries
// identifier {system: <ns>/<kind>[/<role>], value: <clinic id>}, which is what
// conditional create/update upstream keys on. References use "Type/<uuid>"
// and also carry that identifier (Reference.identifier), so a resource read on
// its own names the clinic records it points at. The clinic version rides on
// every resource as extension <ns>/StructureDefinition/clinic-version
// (valueInteger).
//
// # Codes
//
// Every CodeableConcept for a clinic code carries the standard coding from
// the terminology table (RxNorm, SNOMED CT, LOINC …) when the table has one,
// the clinic-local coding and text. The local coding's system is the
// table's local system of the axis (urn:ivbridge:codesystem:<axis> unless
// the table file says otherwise), so every component agrees on it; the two
// code lists the table does not hold (action_taken, practitioner role) use
// <ns>/CodeSystem/action-taken and <ns>/CodeSystem/practitioner-role. The reverse mapping reads the local coding first (exact) and
// falls back to the terminology table's reverse lookup for FHIR written by
// others. Quantities carry the UCUM code in code and the clinic's unit word
// in unit ("mcg" with code "ug").
//
// # patient → Patient (+ Condition, AllergyIntolerance, Observation)
//
//   - Patient: identifier clinic id, identifier MRN (use usual, type v2-0203
//     MR, system <ns>/patient/mrn); name (official, family + given); gender;
//     birthDate; telecom phone and email.
//   - each condition → Condition (clinicalStatus active, category
//     problem-list-item, code, subject), role "condition-<code>".
//   - each allergy → AllergyIntolerance (clinicalStatus active, category
//     medication, code = substance, reaction.manifestation and
//     reaction.severity when given; a severity without a manifestation cannot
//     go in reaction, whose manifestation is 1..*, so it rides on extension
//     <ns>/StructureDefinition/allergy-severity), role "allergy-<substance>".
//     verificationStatus is left out: the clinic's list does not say whether
//     an allergy was confirmed.
//   - weight_kg → Observation body weight (LOINC 29463-7, category
//     vital-signs, status final, valueQuantity kg), role "weight". The
//     clinic gives no time for it, so effective[x] is absent (allowed in R4).
//
// Lists keep their order with extension <ns>/StructureDefinition/clinic-position
// (valueInteger, 0-based) on each Condition and AllergyIntolerance; the same
// code twice gets roles "condition-migraine" and "condition-migraine-2".
//
// # practitioner → Practitioner
//
// identifier clinic id and, when given, NPI (system
// http://hl7.org/fhir/sid/us-npi); name; the role as qualification[0].code.
//
// # plan → MedicationRequest (+ Observation dosing weight)
//
//   - medicationReference "#med" → contained Medication: code.text = the
//     formulation's name, form SNOMED 385219001 (injection solution), amount
//     = bag volume mL per 1 bag, one ingredient per active ingredient
//     (isActive true, strength = amount in the bag / bag volume mL; for a
//     per-kg ingredient the amount in the bag is the calculated absolute
//     dose) and the carrier fluid as the last ingredient with isActive false.
//   - dosageInstruction: one Dosage per active ingredient, all with sequence
//     1 (the same sequence means "given together": they are one bag), each
//     naming its ingredient with extension <ns>/StructureDefinition/dosage-ingredient
//     (valueCodeableConcept). Each has text (a human sig), route IV 47625008,
//     timing.repeat {count = sessions, frequency 1, period = every,
//     periodUnit d|wk|mo, boundsPeriod start/end, duration + durationUnit
//     min when the rate is a duration}, doseAndRate[0] {type ordered,
//     doseQuantity amount unit (mg/kg for per-kg), rateQuantity mL/h when
//     the rate is a pump rate}, doseAndRate[1] {type calculated, doseQuantity
//     the absolute dose} for per-kg ingredients, maxDosePerAdministration for
//     the cap. The calculated dose is min(amount × dosing weight, cap),
//     computed exactly (math/big). A reader of the FHIR alone can recompute
//     it from the ordered dose, the weight Observation and the cap.
//     An explicit "per_kg": false rides on extension
//     <ns>/StructureDefinition/per-kg (valueBoolean) so it round-trips.
//   - dosing_weight_kg → Observation 29463-7 contained in the request
//     ("#dosing-weight") and referenced from supportingInformation: the
//     weight the doses were computed from belongs to the order, and a
//     contained Observation keeps the MedicationRequest complete on its own
//     (the upstream hands plans back as single MedicationRequests).
//   - reasonCode = indications; subject; requester; status (draft, active,
//     on-hold, completed, cancelled, entered-in-error); intent order;
//     authoredOn; note; dispenseRequest.validityPeriod = the course.
//
// # administration → MedicationAdministration (+ per-dose children, Observations)
//
//   - status (in-progress, completed, stopped, not-done), statusReason,
//     subject, performer.actor, request → the plan's MedicationRequest,
//     extension <ns>/StructureDefinition/session-number (valuePositiveInt),
//     note.
//   - effectivePeriod {start, end}. A not-done session has no time in the
//     clinic record; rather than invent one, effectivePeriod carries only the
//     data-absent-reason extension (not-applicable).
//   - medicationReference "#med" → contained Medication listing what went
//     into the bag, one ingredient per dose (strength = amount given /
//     volume infused mL when some volume was infused), for readers of the
//     session alone. When there are no doses the medication is
//     medicationCodeableConcept with text only.
//   - dosage {route, site, rateQuantity mL/h, dose = volume infused mL};
//     omitted when neither dose nor rate exists (mad-1), e.g. not-done. A
//     site without dose or rate rides on extension
//     <ns>/StructureDefinition/administration-site.
//   - per-ingredient doses are queryable: one child MedicationAdministration
//     per dose (role "dose-<substance>"), medicationCodeableConcept = the
//     substance, dosage.dose = the amount given, partOf → the session MA,
//     same status, subject, effective, performer and request, position
//     extension for order. Search does not reach into contained resources
//     while children are searchable by code (ketamine given to a patient),
//     so the children are the record of the doses and the reverse mapping
//     reads them; a session given without them is an error, not a record
//     with its doses silently lost.
//   - weight_kg → Observation 29463-7 (role "weight"), pain_before and
//     pain_after → Observation LOINC 72514-3 (roles "pain-before",
//     "pain-after"; category survey, valueInteger, effectiveDateTime =
//     started_at / ended_at), all with partOf → the MA.
//
// # reaction → AdverseEvent (+ AllergyIntolerance)
//
//   - actuality actual; category = the clinic category (local coding: the
//     HL7 codes are product problems, which the clinical categories are not);
//     event = the first manifestation, the others in order on extension
//     <ns>/StructureDefinition/reaction-manifestation (valueCodeableConcept);
//     seriousness Serious / Non-serious; severity; outcome (resolving →
//     recovering, not_resolved → ongoing, resolved_with_sequelae →
//     resolvedWithSequelae); date = onset; recordedDate; suspectEntity →
//     the MedicationAdministration and, per suspected substance, a contained
//     Medication coded with the substance ("#suspect-1" …).
//   - action_taken (no R4 element) → extension
//     <ns>/StructureDefinition/action-taken (valueCodeableConcept); notes
//     (AdverseEvent has no note) → extension <ns>/StructureDefinition/notes
//     (valueString); is_allergy → extension <ns>/StructureDefinition/is-allergy.
//   - is_allergy true → one AllergyIntolerance per suspected substance (role
//     "allergy-<substance>"; one without code when none is named):
//     clinicalStatus active, verificationStatus confirmed, category
//     medication, criticality high when the reaction was severe or serious,
//     else low, reaction {manifestation = all, severity, onset}.
//
// # Reading back
//
// ToClinic reads the resources of a record from the same input (a Bundle as
// Collection writes it): a patient's Conditions, AllergyIntolerances and
// weight, an administration's doses, weight and pain scores are found by
// their clinic identifier. The resources ToFHIR returns may share
// sub-structures (a Timing, a performer list); treat them as read-only.
//
// # Values FHIR cannot carry
//
// A record whose times or dates fall outside the R4 grammar (an offset of
// +15:00, the year 0000) or whose strings hold control characters is refused
// with *UnmappableError naming the field: every emitted resource is valid
// R4. Computed values use exact decimal arithmetic (math/big), never
// float64.
//
// # FHIR written by others
//
// A MedicationRequest that does not carry the clinic identifier is read as an
// order from an EHR: its medication (CodeableConcept, contained, or a
// Medication found in the same Bundle) and every code must map to clinic
// codes, or ToClinic returns *UnmappableError listing every problem. The
// carrier is the ingredient with isActive false (or sodium chloride 0.9%,
// lactated Ringer's or dextrose 5% beside other ingredients); amounts come
// from the ordered dose of a single-ingredient order (mg/kg makes it per
// kg) or from strengths scaled exactly to the bag volume; rates in mL per
// h or min become mL/h; durations in h become minutes. References resolve
// through their clinic identifier, the Bundle, or Config.ResolveReference.
package translate
