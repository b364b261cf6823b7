// Cold-start accuracy of item features, without Postgres: on a MovieLens
// CSV folder (ratings.csv, movies.csv, tags.csv), 20% of the films are held
// out entirely (seed 42); implicit ALS (its defaults, every rating one
// interaction) trains on the rest; every user who rated a held-out film
// ranks all held-out films: Recall@20 and NDCG@20, averaged over them.
// Methods: random; popularity by genre (a film scores the mean training
// interactions of its genres); a content profile (cosine between the sum of
// the user's films' feature vectors and the film's); the feature map
// (core/feature_map.h) at several penalties. Features: genres, decade, tags.
//
//   cfrec_cold_start MOVIELENS_DIR [--no-tags]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <unordered_map>

#include "core/feature_map.h"
#include "core/interactions.h"
#include "core/random.h"
#include "core/trainer.h"

using namespace cfrec;

namespace {

// One CSV record's fields (quotes as RFC 4180).
std::vector<std::string> fields(const std::string &line) {
    std::vector<std::string> out(1);
    bool quoted = false;
    for (size_t j = 0; j < line.size(); ++j) {
        const char c = line[j];
        if (quoted) {
            if (c == '"' && j + 1 < line.size() && line[j + 1] == '"') out.back() += '"', ++j;
            else if (c == '"') quoted = false;
            else out.back() += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            out.emplace_back();
        } else if (c != '\r') {
            out.back() += c;
        }
    }
    return out;
}

std::vector<std::vector<std::string>> read_csv(const std::string &path) {
    std::ifstream in(path);
    if (!in) {
        std::fprintf(stderr, "cannot read %s\n", path.c_str());
        std::exit(2);
    }
    std::vector<std::vector<std::string>> rows;
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line))
        if (!line.empty()) rows.push_back(fields(line));
    return rows;
}

std::string lower(std::string s) {
    for (char &c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

struct Scores {
    double recall = 0, ndcg = 0;
    int users = 0;
};

// Ranks `candidates` by score for one user; adds Recall@20 and NDCG@20.
void add_user(Scores &s, const std::vector<int64_t> &candidates, const std::vector<double> &score,
              const std::set<int64_t> &relevant) {
    std::vector<int32_t> order(candidates.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = static_cast<int32_t>(j);
    const size_t k = std::min<size_t>(20, order.size());
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int32_t a, int32_t b) {
        return score[a] != score[b] ? score[a] > score[b] : candidates[a] < candidates[b];
    });
    double hits = 0, dcg = 0, ideal = 0;
    for (size_t r = 0; r < k; ++r)
        if (relevant.count(candidates[order[r]])) hits += 1, dcg += 1.0 / std::log2(r + 2.0);
    for (size_t r = 0; r < std::min(k, relevant.size()); ++r) ideal += 1.0 / std::log2(r + 2.0);
    s.recall += hits / static_cast<double>(relevant.size());
    s.ndcg += dcg / ideal;
    ++s.users;
}

}  // namespace

int main(int argc, char **argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: cfrec_cold_start MOVIELENS_DIR [--no-tags]\n");
        return 2;
    }
    const bool with_tags = !(argc > 2 && std::string(argv[2]) == "--no-tags");
    const std::string dir = argv[1];
    const auto ratings = read_csv(dir + "/ratings.csv");
    const auto movies = read_csv(dir + "/movies.csv");
    const auto tags = read_csv(dir + "/tags.csv");

    // Features of every film: genres, decade, tags.
    std::map<std::string, int32_t> feature_index;
    std::unordered_map<int64_t, std::set<int32_t>> film_features;
    auto feature = [&](const std::string &name) {
        auto it = feature_index.emplace(name, static_cast<int32_t>(feature_index.size())).first;
        return it->second;
    };
    std::unordered_map<int64_t, std::set<int32_t>> film_genres;
    for (const auto &m : movies) {
        const int64_t id = std::stoll(m[0]);
        const std::string &title = m[1];
        const size_t open = title.rfind('(');
        if (open != std::string::npos && open + 5 < title.size() && std::isdigit(title[open + 1]))
            film_features[id].insert(feature("decade:" + title.substr(open + 1, 3) + "0s"));
        size_t start = 0;
        while (start <= m[2].size()) {
            const size_t bar = std::min(m[2].find('|', start), m[2].size());
            const std::string g = m[2].substr(start, bar - start);
            if (!g.empty() && g != "(no genres listed)") {
                film_features[id].insert(feature("genre:" + g));
                film_genres[id].insert(feature("genre:" + g));
            }
            start = bar + 1;
        }
    }
    for (const auto &t : with_tags ? tags : decltype(tags){}) film_features[std::stoll(t[1])].insert(feature("tag:" + lower(t[2])));
    const int32_t n_features = static_cast<int32_t>(feature_index.size());

    // Hold out 20% of the rated films.
    std::set<int64_t> rated;
    for (const auto &r : ratings) rated.insert(std::stoll(r[1]));
    std::vector<int64_t> films(rated.begin(), rated.end());
    core::SplitMix64 rng(42);
    for (size_t j = films.size() - 1; j > 0; --j) std::swap(films[j], films[rng.next() % (j + 1)]);
    const std::set<int64_t> cold(films.begin(), films.begin() + films.size() / 5);
    const std::vector<int64_t> candidates(cold.begin(), cold.end());

    core::InteractionBuilder builder(core::DuplicatePolicy::Sum);
    std::map<int64_t, std::set<int64_t>> test, seen;
    for (const auto &r : ratings) {
        const int64_t u = std::stoll(r[0]), i = std::stoll(r[1]);
        if (cold.count(i)) {
            test[u].insert(i);
        } else {
            const float one = 1.0f;
            builder.add(&u, &i, &one, 1);
            seen[u].insert(i);
        }
    }
    std::printf("%zu ratings, %zu films (%zu held out), %d features; %zu test users\n",
                ratings.size(), films.size(), cold.size(), n_features, test.size());

    core::TrainOptions o = core::default_options(core::Algorithm::Als, core::Feedback::Implicit);
    o.iterations = core::default_iterations(core::Algorithm::Als, core::Feedback::Implicit);
    auto trainer = core::make_trainer(builder.finish(), o);
    for (int it = 0; it < o.iterations; ++it) trainer->step([] { return false; });
    const core::FactorModel model = trainer->take_model();

    // Feature rows: the trained films (targets) and the held-out ones.
    core::FeatureRows rows;
    std::vector<int32_t> target;
    std::unordered_map<int64_t, int32_t> row_of;
    auto add_row = [&](int64_t film, int32_t t) {
        row_of[film] = rows.rows();
        for (int32_t fi : film_features[film]) {
            rows.features.push_back(fi);
            rows.weights.push_back(1.0f);
        }
        rows.indptr.push_back(static_cast<int64_t>(rows.features.size()));
        target.push_back(t);
    };
    for (size_t j = 0; j < model.item_ids.size(); ++j)
        add_row(model.item_ids[j], static_cast<int32_t>(j));
    for (int64_t film : candidates) add_row(film, -1);
    auto row_vector = [&](int64_t film) {  // unit-length feature vector
        std::map<int32_t, double> v;
        const auto &fs = film_features[film];
        for (int32_t fi : fs) v[fi] = 1.0 / std::sqrt(static_cast<double>(fs.size()));
        return v;
    };

    // Genre popularity from the training interactions.
    std::vector<double> genre_count(n_features, 0.0);
    for (size_t j = 0; j < model.item_ids.size(); ++j)
        for (int32_t g : film_genres[model.item_ids[j]]) genre_count[g] += model.item_counts[j];

    std::map<std::string, Scores> results;
    std::vector<double> score(candidates.size());
    std::vector<std::pair<std::string, core::FeatureMap>> maps;
    std::vector<double> by_count(model.item_ids.size()), by_log(model.item_ids.size()),
        by_sqrt(model.item_ids.size());
    for (size_t j = 0; j < model.item_ids.size(); ++j) {
        by_count[j] = model.item_counts[j];
        by_log[j] = std::log1p(static_cast<double>(model.item_counts[j]));
        by_sqrt[j] = std::sqrt(static_cast<double>(model.item_counts[j]));
    }
    for (double reg : {0.1, 1.0, 10.0})
        maps.emplace_back("reg " + std::to_string(reg).substr(0, 4),
                          core::FeatureMap::fit(rows, target, model.item_factors, n_features, reg));
    for (double reg : {1.0, 10.0, 100.0}) {
        maps.emplace_back("by log count, reg " + std::to_string(reg).substr(0, 5),
                          core::FeatureMap::fit(rows, target, model.item_factors, n_features, reg, &by_log));
        maps.emplace_back("by sqrt count, reg " + std::to_string(reg).substr(0, 5),
                          core::FeatureMap::fit(rows, target, model.item_factors, n_features, reg, &by_sqrt));
        maps.emplace_back("by count, reg " + std::to_string(reg).substr(0, 5),
                          core::FeatureMap::fit(rows, target, model.item_factors, n_features, reg, &by_count));
    }
    std::vector<std::vector<Eigen::VectorXf>> cold_vectors(maps.size());
    for (size_t m = 0; m < maps.size(); ++m)
        for (int64_t film : candidates) {
            const int32_t r = row_of[film];
            cold_vectors[m].push_back(maps[m].second.apply(
                rows.features.data() + rows.indptr[r], rows.weights.data() + rows.indptr[r],
                static_cast<size_t>(rows.indptr[r + 1] - rows.indptr[r])));
        }
    // Hybrid: the direction of the plain map (maps[1], reg 1) at the length of
    // the interaction-weighed one (the last "by count, reg 1").
    {
        size_t plain = 1, weighed = 0;
        for (size_t m = 0; m < maps.size(); ++m)
            if (maps[m].first == "by count, reg 1.000") weighed = m;
        std::vector<Eigen::VectorXf> hybrid;
        for (size_t c = 0; c < candidates.size(); ++c)
            hybrid.push_back(cold_vectors[plain][c].normalized() * cold_vectors[weighed][c].norm());
        maps.emplace_back("hybrid: plain direction, weighed length", maps[plain].second);
        cold_vectors.push_back(hybrid);
    }
    core::SplitMix64 shuffle(7);
    for (const auto &[user, relevant] : test) {
        for (double &s : score) s = static_cast<double>(shuffle.next() >> 11);
        add_user(results["random"], candidates, score, relevant);
        for (size_t c = 0; c < candidates.size(); ++c) {
            const auto &gs = film_genres[candidates[c]];
            double sum = 0;
            for (int32_t g : gs) sum += genre_count[g];
            score[c] = gs.empty() ? 0.0 : sum / static_cast<double>(gs.size());
        }
        add_user(results["popularity by genre"], candidates, score, relevant);
        std::map<int32_t, double> profile;
        for (int64_t film : seen[user])
            for (const auto &[fi, w] : row_vector(film)) profile[fi] += w;
        double norm = 0;
        for (const auto &[fi, w] : profile) norm += w * w;
        norm = std::sqrt(norm);
        for (size_t c = 0; c < candidates.size(); ++c) {
            double dot = 0;
            for (const auto &[fi, w] : row_vector(candidates[c])) {
                auto it = profile.find(fi);
                if (it != profile.end()) dot += w * it->second;
            }
            score[c] = norm > 0 ? dot / norm : 0.0;
        }
        add_user(results["content profile (cosine)"], candidates, score, relevant);
        const int32_t u = model.user_index(user);
        for (size_t m = 0; m < maps.size(); ++m) {
            for (size_t c = 0; c < candidates.size(); ++c)
                score[c] = u >= 0 ? model.user_factors.row(u).dot(cold_vectors[m][c]) : 0.0;
            add_user(results["ALS + map, " + maps[m].first], candidates, score, relevant);
        }
    }
    // How often a held-out film would enter a user's top 20 of every item:
    // its score above the user's 20th best score among the trained films.
    for (size_t mi = 0; mi < maps.size(); ++mi) {
        int64_t entries = 0;
        for (int32_t u = 0; u < static_cast<int32_t>(model.user_ids.size()); ++u) {
            Eigen::VectorXf s = model.item_factors * model.user_factors.row(u).transpose();
            std::nth_element(s.data(), s.data() + 19, s.data() + s.size(), std::greater<float>());
            const float twentieth = s(19);
            for (const auto &v : cold_vectors[mi])
                if (model.user_factors.row(u).dot(v) > twentieth) ++entries;
        }
        std::printf("%-40s held-out films in a top 20 per user: %.3f\n", maps[mi].first.c_str(),
                    static_cast<double>(entries) / model.user_ids.size());
    }
    std::printf("%-40s %10s %10s\n", "method", "Recall@20", "NDCG@20");
    for (const auto &[name, s] : results)
        std::printf("%-40s %10.4f %10.4f\n", name.c_str(), s.recall / s.users, s.ndcg / s.users);
    return 0;
}
