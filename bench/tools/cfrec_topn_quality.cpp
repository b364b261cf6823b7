// Top-N accuracy of the core's implicit models on a LightGCN-format split
// (DIR/train.txt and DIR/test.txt, one line per user: "user item item ..."),
// without Postgres: Recall@20 and NDCG@20 over all items, training items
// excluded, averaged over users with test items, as LightGCN and GF-CF report.
// bench/quality measures the same through SQL; this is for grids.
//
//   cfrec_topn_quality DIR CONFIG...     CONFIG: als:f=64,a=1,r=0.1,i=15
//                                                graph_filter:f=512,a=1,i=3[,pop=0.1]
//                                                linear_filter:f=256,i=8[,a=0.2]
//   (linear_filter also times scoring one user at a time, as a request does)
//   cfrec_topn_quality --from-csv RATINGS_CSV DIR   per-user 80/20 split (seed 42)
//   cfrec_topn_quality --generate DIR SEED          synthetic check-ins (see below)
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "core/als_common.h"
#include "core/linear_filter.h"
#include "core/random.h"
#include "core/topk.h"
#include "core/trainer.h"

using namespace cfrec;

namespace {

using Lists = std::vector<std::vector<int64_t>>;

Lists read_lists(const std::string &path) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(2);
    }
    Lists lists;
    std::string line;
    while (std::getline(in, line)) {
        std::stringstream s(line);
        int64_t u, i;
        if (!(s >> u)) continue;
        if (lists.size() <= static_cast<size_t>(u)) lists.resize(u + 1);
        while (s >> i) lists[u].push_back(i);
    }
    return lists;
}

void write_lists(const std::string &path, const Lists &lists) {
    std::ofstream out(path);
    for (size_t u = 0; u < lists.size(); ++u) {
        if (lists[u].empty()) continue;
        out << u;
        for (int64_t i : lists[u]) out << ' ' << i;
        out << '\n';
    }
}

// Each user's distinct items, 20% (at least one, when the user has two or
// more) to test at random with seed 42, the rest to train.
void split_and_write(const std::string &dir, Lists all) {
    core::SplitMix64 rng(42);
    Lists train(all.size()), test(all.size());
    for (size_t u = 0; u < all.size(); ++u) {
        auto &items = all[u];
        std::sort(items.begin(), items.end());
        items.erase(std::unique(items.begin(), items.end()), items.end());
        for (size_t j = items.size(); j > 1; --j) std::swap(items[j - 1], items[rng.next() % j]);
        const size_t n_test =
            items.size() < 2 ? 0 : std::max<size_t>(1, std::lround(0.2 * items.size()));
        test[u].assign(items.begin(), items.begin() + n_test);
        train[u].assign(items.begin() + n_test, items.end());
    }
    write_lists(dir + "/train.txt", train);
    write_lists(dir + "/test.txt", test);
}

void from_csv(const char *csv, const std::string &dir) {
    std::ifstream in(csv);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", csv);
        std::exit(2);
    }
    std::string line;
    std::getline(in, line);  // header
    std::map<int64_t, std::vector<int64_t>> by_user;
    while (std::getline(in, line)) {
        std::stringstream s(line);
        std::string u, i;
        std::getline(s, u, ',');
        std::getline(s, i, ',');
        by_user[std::stoll(u)].push_back(std::stoll(i));
    }
    Lists all;
    for (auto &[u, items] : by_user) all.push_back(items);  // users renumbered 0..n-1
    split_and_write(dir, all);
}

// Check-ins of another shape than MovieLens or Yelp: 20,000 users and 10,000
// places in 200 towns; a user lives in one town and makes 80% of their
// visits there, the rest anywhere; places are drawn by Zipf(1.1) popularity
// within a town and over all places; visits per user are log-normal with
// median 12. About 0.13% dense, with short user histories.
void generate(const std::string &dir, uint64_t seed) {
    const int users = 20000, places = 10000, towns = 200, per_town = places / towns;
    core::SplitMix64 rng(seed);
    auto zipf_cdf = [](int n, double s) {
        std::vector<double> cdf(n);
        double sum = 0;
        for (int r = 0; r < n; ++r) cdf[r] = (sum += std::pow(r + 1.0, -s));
        for (double &c : cdf) c /= sum;
        return cdf;
    };
    const auto town_cdf = zipf_cdf(per_town, 1.1), global_cdf = zipf_cdf(places, 1.1);
    auto draw = [&](const std::vector<double> &cdf) {
        return static_cast<int>(std::lower_bound(cdf.begin(), cdf.end(), rng.uniform()) -
                                cdf.begin());
    };
    std::vector<int> place_of_rank(places);  // global popularity order, shuffled
    for (int p = 0; p < places; ++p) place_of_rank[p] = p;
    for (int p = places - 1; p > 0; --p)
        std::swap(place_of_rank[p], place_of_rank[rng.next() % (p + 1)]);
    Lists all(users);
    for (int u = 0; u < users; ++u) {
        const int town = static_cast<int>(rng.next() % towns);
        const double g = std::sqrt(-2 * std::log(std::max(rng.uniform(), 1e-12))) *
                         std::cos(2 * M_PI * rng.uniform());
        const int visits = std::max(3, static_cast<int>(std::lround(12 * std::exp(0.8 * g))));
        for (int v = 0; v < visits; ++v)
            all[u].push_back(rng.uniform() < 0.8 ? town * per_town + draw(town_cdf)
                                                 : place_of_rank[draw(global_cdf)]);
    }
    split_and_write(dir, all);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

struct Config {
    core::TrainOptions options;
    double popularity_exponent = 0;  // graph filter experiment: score x count^pop
    std::string text;
};

Config parse(const std::string &text) {
    Config c;
    c.text = text;
    const size_t colon = text.find(':');
    const std::string algo = text.substr(0, colon);
    const auto algorithm = algo == "graph_filter"    ? core::Algorithm::GraphFilter
                           : algo == "linear_filter" ? core::Algorithm::LinearFilter
                                                     : core::Algorithm::Als;
    c.options = core::default_options(algorithm, core::Feedback::Implicit);
    std::stringstream s(colon == std::string::npos ? "" : text.substr(colon + 1));
    std::string kv;
    while (std::getline(s, kv, ',')) {
        const std::string k = kv.substr(0, kv.find('=')), v = kv.substr(kv.find('=') + 1);
        if (k == "f")
            c.options.factors = std::stoi(v);
        else if (k == "a") {
            c.options.alpha = std::stod(v);
            c.options.ideal_from_spectrum = false;
        } else if (k == "r")
            c.options.regularization = std::stod(v);
        else if (k == "i")
            c.options.iterations = std::stoi(v);
        else if (k == "pop")
            c.popularity_exponent = std::stod(v);
        else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            std::exit(2);
        }
    }
    return c;
}

void run(const core::Interactions &data, const Lists &test, const Config &c) {
    auto started = std::chrono::steady_clock::now();
    auto trainer = core::make_trainer(data, c.options);
    for (int it = 0; it < c.options.iterations; ++it) trainer->step([] { return false; });
    const core::FactorModel m = trainer->take_model();
    const core::ModelView view = m.view();
    const double train_seconds = seconds_since(started);
    started = std::chrono::steady_clock::now();
    const int32_t users = data.by_user.rows(), items = data.by_item.rows();
    std::vector<float> pop(items);
    for (int32_t j = 0; j < items; ++j)
        pop[j] = std::pow(static_cast<float>(m.item_counts[j]),
                          static_cast<float>(c.popularity_exponent));
    std::vector<double> request_ms;  // linear filter: one user's scores and top 20, one thread
    auto fill = [&](int32_t b, int32_t n, core::FactorMatrix &scores) {
        if (!m.linear) {
            scores.noalias() = m.user_factors.middleRows(b, n) * m.item_factors.transpose();
            return;
        }
        scores.resize(n, items);
        const core::PatternView &rows = m.linear->rows();  // training users, in the same order
        for (int32_t r = 0; r < n; ++r) {
            const auto t = std::chrono::steady_clock::now();
            const std::vector<int32_t> seen(rows.indices.begin() + rows.indptr[b + r],
                                            rows.indices.begin() + rows.indptr[b + r + 1]);
            m.linear->score(view.item_factors, seen.data(), seen.size(), scores.row(r).data());
            core::top_k(scores.row(r).data(), items, 20, seen);
            request_ms.push_back(seconds_since(t) * 1000);
        }
    };
    double recall = 0, ndcg = 0;
    int ranked = 0;
    const int block = 256;
    core::FactorMatrix scores;
    for (int32_t b = 0; b < users; b += block) {
        const int32_t n = std::min(block, users - b);
        fill(b, n, scores);
        for (int32_t r = 0; r < n; ++r) {
            const int32_t u = b + r;
            const int64_t ext = data.user_ids[u];
            if (ext >= static_cast<int64_t>(test.size()) || test[ext].empty()) continue;
            std::vector<int32_t> truth;
            for (int64_t e : test[ext]) {
                const int32_t i = m.item_index(e);
                if (i >= 0) truth.push_back(i);
            }
            if (truth.empty()) continue;
            std::sort(truth.begin(), truth.end());
            float *row = scores.row(r).data();
            if (c.popularity_exponent != 0)
                for (int32_t j = 0; j < items; ++j) row[j] *= pop[j];
            std::vector<int32_t> seen(data.by_user.indices.begin() + data.by_user.indptr[u],
                                      data.by_user.indices.begin() + data.by_user.indptr[u + 1]);
            std::sort(seen.begin(), seen.end());
            const auto top = core::top_k(row, items, 20, seen);
            double dcg = 0, ideal = 0;
            int hits = 0;
            for (size_t k = 0; k < top.size(); ++k)
                if (std::binary_search(truth.begin(), truth.end(), top[k].index)) {
                    ++hits;
                    dcg += 1.0 / std::log2(k + 2.0);
                }
            for (size_t k = 0; k < std::min<size_t>(20, truth.size()); ++k)
                ideal += 1.0 / std::log2(k + 2.0);
            recall += static_cast<double>(hits) / truth.size();
            ndcg += dcg / ideal;
            ++ranked;
        }
    }
    std::printf("%-40s Recall@20 %.5f  NDCG@20 %.5f  train %.1f s  rank all %.1f s  (%d users)\n",
                c.text.c_str(), recall / ranked, ndcg / ranked, train_seconds,
                seconds_since(started), ranked);
    if (!request_ms.empty()) {
        std::sort(request_ms.begin(), request_ms.end());
        std::printf("%-40s one request (score all, top 20): p50 %.2f ms, p95 %.2f ms\n", "",
                    request_ms[request_ms.size() / 2], request_ms[request_ms.size() * 95 / 100]);
    }
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char **argv) {
    if (argc >= 4 && std::string(argv[1]) == "--from-csv") {
        from_csv(argv[2], argv[3]);
        return 0;
    }
    if (argc >= 4 && std::string(argv[1]) == "--generate") {
        generate(argv[2], std::strtoull(argv[3], nullptr, 10));
        return 0;
    }
    if (argc < 3) {
        std::fprintf(stderr, "usage: cfrec_topn_quality DIR CONFIG... (see the source)\n");
        return 2;
    }
    const std::string dir = argv[1];
    const Lists train = read_lists(dir + "/train.txt"), test = read_lists(dir + "/test.txt");
    core::InteractionBuilder builder(core::DuplicatePolicy::Sum);
    for (size_t u = 0; u < train.size(); ++u)
        for (int64_t i : train[u]) {
            const int64_t user = static_cast<int64_t>(u);
            const float one = 1;
            builder.add(&user, &i, &one, 1);
        }
    const core::Interactions data = builder.finish();
    std::printf("%s: %d users, %d items, %lld interactions (%.3f%% dense)\n", dir.c_str(),
                data.by_user.rows(), data.by_item.rows(),
                static_cast<long long>(data.by_user.nnz()),
                100.0 * data.by_user.nnz() / (double(data.by_user.rows()) * data.by_item.rows()));
    for (int a = 2; a < argc; ++a) run(data, test, parse(argv[a]));
}
