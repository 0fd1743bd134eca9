#include "xenbuild/patch/apply.hpp"

#include "patch/overlay.hpp"

namespace xenbuild::patch {

namespace {

std::string describeJob(const PatchJob& job) {
    return "while applying patch " + quote(job.id) + " (" + job.patchFile.string() + ") to " +
           quote(job.projectRoot.string());
}

// Throws for a failed or already-applied report when the series stops at failures.
void stopIfFailed(const PatchReport& report, const PatchJob& job) {
    const std::string head = "patch " + quote(job.id) + " (" + job.patchFile.string() + ") ";
    if (report.status == PatchStatus::Failed)
        throw PatchFailedError(head + "does not apply: " + report.message);
    if (report.status == PatchStatus::AlreadyApplied)
        throw PatchAlreadyAppliedError(head + "is already applied to " +
                                       quote(job.projectRoot.string()));
}

PatchReport failedReport(const PatchJob& job, const std::string& message) {
    PatchReport report;
    report.id = job.id;
    report.patchFile = job.patchFile.string();
    report.status = PatchStatus::Failed;
    report.message = message;
    return report;
}

} // namespace

namespace {

void notify(const SeriesOptions& options, util::ProgressEvent::Kind kind, const PatchJob& job,
            std::string text, std::size_t done, std::size_t total) {
    if (options.progress == nullptr) return;
    util::ProgressEvent event;
    event.kind = kind;
    event.activity = "patch " + job.id;
    event.text = std::move(text);
    event.done = done;
    event.total = total;
    event.unit = "patches";
    options.progress->onEvent(event);
}

void notifyDone(const SeriesOptions& options, const PatchReport& report, const PatchJob& job,
                std::size_t done, std::size_t total) {
    const bool failed =
        report.status == PatchStatus::Failed || report.status == PatchStatus::AlreadyApplied;
    notify(options,
           failed ? util::ProgressEvent::Kind::Failed : util::ProgressEvent::Kind::Finished, job,
           report.summary(), done, total);
}

// Tries every job in order against the overlay; throws per `options.stopAtFailure`.
void runJobs(const std::vector<PatchJob>& jobs, const SeriesOptions& options,
             detail::Overlay& overlay, std::vector<PatchReport>& reports) {
    for (const PatchJob& job : jobs) {
        notify(options, util::ProgressEvent::Kind::Started, job, job.patchFile.string(),
               reports.size(), jobs.size());
        try {
            const Patch patch = readPatch(job.patchFile);
            reports.push_back(detail::applyInSeries(patch, job, overlay));
            reports.back().patchFile = job.patchFile.string();
        } catch (PatchError& e) {
            if (options.stopAtFailure) {
                notify(options, util::ProgressEvent::Kind::Failed, job, e.what(), reports.size(),
                       jobs.size());
                e.addTrace(describeJob(job));
                throw;
            }
            reports.push_back(failedReport(job, e.what()));
        }
        notifyDone(options, reports.back(), job, reports.size(), jobs.size());
        if (options.stopAtFailure) stopIfFailed(reports.back(), job);
    }
}

} // namespace

// Every patch is applied in memory first; the files are written once at the end (also when a
// patch fails, so the tree holds every patch before the failing one), which writes each file
// once however many patches of the series touch it.
std::vector<PatchReport> applySeries(const std::vector<PatchJob>& jobs,
                                     const SeriesOptions& options) {
    detail::Overlay overlay;
    std::vector<PatchReport> reports;
    reports.reserve(jobs.size());
    try {
        runJobs(jobs, options, overlay, reports);
    } catch (const PatchError&) {
        if (!options.dryRun) detail::commitFiles(overlay.take());
        throw;
    }
    if (!options.dryRun) detail::commitFiles(overlay.take());
    return reports;
}

} // namespace xenbuild::patch
