// `xenbuild bundle PKG -o DIR`: the release bundle of a built package (docs/bundle.md);
// `xenbuild bundle verify DIR [--key FILE]`: check one.

#include "cli/commands.hpp"
#include "cli/fetch_support.hpp"
#include "cli/recipe_options.hpp"
#include "cli/render.hpp"
#include "cli/source_overrides.hpp"
#include "xenbuild/bundle/bundle.hpp"
#include "xenbuild/bundle/verify.hpp"
#include "xenbuild/util/error.hpp"
#include "xenbuild/util/file.hpp"

#include <nlohmann/json.hpp>

#include <CLI/CLI.hpp>

namespace fs = std::filesystem;

namespace xenbuild::cli {

namespace {

struct BundleArgs {
    std::string package;
    EvalArgs eval;
    std::string outDir;
    std::string signKey;
    std::string passphraseFile;
    std::string builderId = bundle::kDefaultBuilderId;
    BuiltWithArgs builtWith;
    bool json = false;
};

struct VerifyArgs {
    std::string dir;
    std::string key;
    bool json = false;
};

std::string passphrase(const std::string& file) {
    if (file.empty()) return "";
    std::string text =
        util::readRegularFile(file, {.what = "passphrase file", .maxBytes = 64 * 1024});
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
        text.pop_back();
    return text;
}

void runBundle(const BundleArgs& args, const GlobalOptions& global) {
    if (args.package.empty())
        throw UsageError("bundle: give a package (`xenbuild bundle PKG -o DIR`) or "
                         "`xenbuild bundle verify DIR`");
    if (args.outDir.empty()) throw UsageError("bundle: -o DIR is required (where to write it)");
    const auto set = loadRecipes(global);
    const auto plan =
        recipe::evaluate(set, args.package, overridesFrom(args.eval), evalOptionsFrom(args.eval));
    const auto store = openStore(global);
    const auto options = buildOptionsFrom(args.builtWith);
    const auto build = bundle::findBuild(store, plan, options, bundle::advisoriesOf(set, plan));
    if (!build) {
        throw BuildError(quote(plan.name) + " has not been built in the store " +
                         quote(store.dir().string()) + "; run `xenbuild build " + args.package +
                         "` first (with the same --arg, --host-profile, --override-source and "
                         "--exclude-patch options)");
    }
    // Steps as plain lines on stderr ("bundle xen_4_19: archiving ..."), nothing with -q.
    const auto view = makeEventLines(global);
    const auto written = withContext("while bundling " + quote(plan.name), [&] {
        return bundle::writeBundle(*build, args.outDir,
                                   {.signKey = args.signKey,
                                    .signPassphrase = passphrase(args.passphraseFile),
                                    .builderId = args.builderId},
                                   *view);
    });
    Output output(global, args.json);
    if (args.json) {
        nlohmann::json json = {{"plan", plan.name},
                               {"dir", written.dir.string()},
                               {"signer", written.signer.empty() ? nlohmann::json(nullptr)
                                                                 : nlohmann::json(written.signer)},
                               {"files", nlohmann::json::array()}};
        for (const auto& file : written.files) {
            nlohmann::json entry = {{"name", file.name},
                                    {"role", file.role},
                                    {"sha256", file.sha256.hex()},
                                    {"size", file.size}};
            if (!file.output.empty()) entry["output"] = file.output;
            json["files"].push_back(entry);
        }
        output.json(json);
        return;
    }
    output.line(plan.name + ": bundle in " + written.dir.string() + ", " +
                (written.signer.empty() ? "unsigned" : "signed by " + written.signer));
    for (const auto& file : written.files)
        output.line("  " + file.name);
}

std::string signatureText(const bundle::VerifyReport& report) {
    switch (report.signature) {
    case bundle::SignatureState::Unsigned:
        return "unsigned";
    case bundle::SignatureState::NotChecked:
        return "signed by " + report.signer + ", signatures not checked (give --key)";
    case bundle::SignatureState::Verified:
        return "signed by " + report.signer;
    case bundle::SignatureState::Bad:
        break;
    }
    return "BAD signatures";
}

std::string_view signatureName(bundle::SignatureState state) {
    switch (state) {
    case bundle::SignatureState::Unsigned:
        return "unsigned";
    case bundle::SignatureState::NotChecked:
        return "not-checked";
    case bundle::SignatureState::Verified:
        return "verified";
    case bundle::SignatureState::Bad:
        break;
    }
    return "bad";
}

void runVerify(const VerifyArgs& args, const GlobalOptions& global) {
    const auto report = bundle::verifyBundle(
        args.dir, args.key.empty() ? std::nullopt : std::optional<fs::path>(args.key));
    Output output(global, args.json);
    if (args.json) {
        output.json({{"dir", args.dir},
                     {"ok", report.ok()},
                     {"signature", signatureName(report.signature)},
                     {"signer", report.signer},
                     {"archives", report.archives},
                     {"problems", report.problems}});
    } else if (report.ok()) {
        output.line(args.dir + ": OK, " + std::to_string(report.archives.size()) + " archives, " +
                    signatureText(report));
    } else {
        output.line(args.dir + ": FAILED");
        for (const auto& problem : report.problems)
            output.line("  " + problem);
    }
    if (!report.ok()) {
        throw Error("the bundle " + quote(args.dir) + " failed verification (" +
                    std::to_string(report.problems.size()) +
                    (report.problems.size() == 1 ? " problem)" : " problems)"));
    }
}

} // namespace

void registerBundle(CLI::App& app, GlobalOptions& global) {
    auto args = std::make_shared<BundleArgs>();
    auto* command = app.add_subcommand(
        "bundle", "Write the release bundle of a built package: archives, SBOM, provenance, "
                  "checksums, signatures (docs/bundle.md)");
    command->add_option("package", args->package, "A built package, e.g. xen_4_19-slim");
    command->add_option("-o,--out", args->outDir, "Write the bundle to DIR (new or empty)")
        ->type_name("DIR");
    command
        ->add_option("--sign-key", args->signKey,
                     "Sign with this OpenPGP secret key (armored export)")
        ->type_name("FILE");
    command
        ->add_option("--sign-passphrase-file", args->passphraseFile,
                     "The signing key's passphrase, if it has one")
        ->type_name("FILE");
    command
        ->add_option("--builder-id", args->builderId,
                     "The provenance's builder id, e.g. the CI job's URL")
        ->type_name("URI")
        ->default_str(bundle::kDefaultBuilderId);
    addEvalOptions(*command, args->eval);
    addBuiltWithOptions(*command, args->builtWith);
    command->add_flag("--json", args->json, "Print the bundle's files as JSON");

    auto verifyArgs = std::make_shared<VerifyArgs>();
    auto* verify = command->add_subcommand(
        "verify", "Check a bundle: signatures, digests, SBOM and provenance (exit 1 on any "
                  "problem)");
    verify->add_option("dir", verifyArgs->dir, "The bundle directory")->required();
    verify
        ->add_option("--key", verifyArgs->key,
                     "The armored OpenPGP public key the bundle must be signed by")
        ->type_name("FILE");
    verify->add_flag("--json", verifyArgs->json, "Print the report as JSON");
    verify->callback([verifyArgs, &global] { runVerify(*verifyArgs, global); });
    command->callback([args, verify, &global] {
        if (!verify->parsed()) runBundle(*args, global);
    });
}

} // namespace xenbuild::cli
