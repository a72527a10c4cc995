import Foundation
import GRDB

/// A date as the SQLite store keeps it: GRDB's own text form, `yyyy-MM-dd HH:mm:ss.SSS` in UTC, so stores written
/// before and after read and compare alike. GRDB writes it through `DateFormatter`, which loads ICU's locale,
/// time-zone and calendar data: megabytes resident in an agent that only ever writes sample times. This is the
/// same text from plain calendar arithmetic (proleptic Gregorian, milliseconds rounded as CoreFoundation does).
struct StoredDate: DatabaseValueConvertible {
    let date: Date

    init(_ date: Date) {
        self.date = date
    }

    var databaseValue: DatabaseValue {
        // CoreFoundation hands ICU (seconds since 1970 × 1000 + 0.5), and ICU rounds that down.
        let milliseconds = Int64(((date.timeIntervalSinceReferenceDate + 978_307_200) * 1000 + 0.5).rounded(.down))
        let (days, dayMilliseconds) = milliseconds.floorDivided(by: 86_400_000)
        // Howard Hinnant's civil_from_days: days since 1970-01-01 to year, month, day.
        let z = days + 719_468
        let era = z.floorDivided(by: 146_097).quotient
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        var text = ""
        text.reserveCapacity(23)
        func append(_ value: Int64, width: Int) {
            let digits = String(value)
            text += String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        append(year, width: 4)
        text += "-"
        append(month, width: 2)
        text += "-"
        append(day, width: 2)
        text += " "
        append(dayMilliseconds / 3_600_000, width: 2)
        text += ":"
        append(dayMilliseconds / 60_000 % 60, width: 2)
        text += ":"
        append(dayMilliseconds / 1000 % 60, width: 2)
        text += "."
        append(dayMilliseconds % 1000, width: 3)
        return text.databaseValue
    }

    static func fromDatabaseValue(_ dbValue: DatabaseValue) -> StoredDate? {
        Date.fromDatabaseValue(dbValue).map(StoredDate.init)
    }
}

extension Date {
    /// This date bound as the store keeps it.
    var stored: StoredDate { StoredDate(self) }
}

extension Int64 {
    fileprivate func floorDivided(by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let quotient = (self >= 0 ? self : self - divisor + 1) / divisor
        return (quotient, self - quotient * divisor)
    }
}
