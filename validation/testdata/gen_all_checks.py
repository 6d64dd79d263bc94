#!/usr/bin/env python3
"""Writes all_checks_pass.json and all_checks_fail.json: every check type
once, with arguments that pass (resp. fail) on loans_clean, and
loans_baseline_shifted.json. Needs the mlsec binary as $MLSEC."""
import hashlib, json, os, subprocess

B = {"0": 0.348, "1": 0.652}
cases = [
 ("expect_column_to_exist", {"column":"age"}, {"column":"ssn"}),
 ("expect_table_columns_to_match_ordered_list", {"column_list":["id","age","income","score","region","note","signup","payload","label"]}, {"column_list":["age","id","income","score","region","note","signup","payload","label"]}),
 ("expect_table_columns_to_match_set", {"column_set":["label","id","age","income","score","region","note","signup","payload"]}, {"column_set":["id","age"]}),
 ("expect_table_column_count_to_equal", {"value":9}, {"value":8}),
 ("expect_column_values_to_be_of_type", {"column":"income","type_":"float64"}, {"column":"income","type_":"int64"}),
 ("expect_column_values_to_be_in_type_list", {"column":"age","type_list":["int32","int64"]}, {"column":"age","type_list":["utf8"]}),
 ("expect_column_nullability_to_equal", {"column":"score","nullable":True}, {"column":"score","nullable":False}),
 ("expect_table_columns_to_not_contain", {"forbidden":["*ssn*","*password*"]}, {"forbidden":["not*"]}),
 ("expect_table_schema_digest_to_equal", {"digest":"SCHEMA_DIGEST"}, {"digest":"sha256:"+"0"*64}),
 ("expect_column_values_to_not_be_null", {"column":"age"}, {"column":"score"}),
 ("expect_column_values_to_be_null", {"column":"score","mostly":0.01}, {"column":"score"}),
 ("expect_column_values_to_be_in_set", {"column":"region","value_set":["north","south","east","west"]}, {"column":"region","value_set":["north","south"]}),
 ("expect_column_values_to_not_be_in_set", {"column":"label","value_set":[2,3]}, {"column":"label","value_set":[1]}),
 ("expect_column_values_to_be_between", {"column":"age","min_value":18,"max_value":77}, {"column":"age","min_value":18,"max_value":77,"strict_max":True}),
 ("expect_column_values_to_match_regex", {"column":"signup","regex":"^2024-\\d\\d-\\d\\d$"}, {"column":"signup","regex":"^2024-01"}),
 ("expect_column_values_to_not_match_regex", {"column":"note","regex":"[0-9]"}, {"column":"note","regex":"paid"}),
 ("expect_column_value_lengths_to_be_between", {"column":"region","min_value":4,"max_value":5}, {"column":"region","max_value":4}),
 ("expect_column_values_to_match_strftime_format", {"column":"signup","strftime_format":"%Y-%m-%d"}, {"column":"signup","strftime_format":"%d/%m/%Y"}),
 ("expect_column_values_to_be_dateutil_parseable", {"column":"signup","min_value":"2024-01-01","max_value":"2024-12-31"}, {"column":"signup","max_value":"2024-06-30"}),
 ("expect_column_values_to_match_json_schema", {"column":"payload","json_schema":{"type":"object","required":["channel","visits"],"properties":{"channel":{"enum":["web","app"]},"visits":{"type":"integer","minimum":0}}}}, {"column":"payload","json_schema":{"type":"object","properties":{"visits":{"type":"integer","maximum":10}}}}),
 ("expect_column_pair_values_a_to_be_greater_than_b", {"column_A":"income","column_B":"age"}, {"column_A":"age","column_B":"income"}),
 ("expect_column_values_to_be_unique", {"column":"id"}, {"column":"age"}),
 ("expect_compound_columns_to_be_unique", {"column_list":["id","age"]}, {"column_list":["age","region"]}),
 ("expect_column_values_to_be_increasing", {"column":"id","strictly":True}, {"column":"age"}),
 ("expect_column_values_to_be_decreasing", {"column":"age","mostly":0.4}, {"column":"id"}),
 ("expect_table_row_count_to_be_between", {"min_value":2000,"max_value":2000}, {"min_value":2001}),
 ("expect_table_row_count_to_equal", {"value":2000}, {"value":1999}),
 ("expect_column_null_fraction_to_be_between", {"column":"score","max_value":0.05}, {"column":"score","max_value":0.001}),
 ("expect_column_unique_value_count_to_be_between", {"column":"region","min_value":4,"max_value":4}, {"column":"region","max_value":3}),
 ("expect_column_proportion_of_unique_values_to_be_between", {"column":"id","min_value":1}, {"column":"region","min_value":0.5}),
 ("expect_column_min_to_be_between", {"column":"age","min_value":18,"max_value":18}, {"column":"age","min_value":20}),
 ("expect_column_max_to_be_between", {"column":"age","min_value":77,"max_value":77}, {"column":"age","max_value":70}),
 ("expect_column_mean_to_be_between", {"column":"age","min_value":47,"max_value":48}, {"column":"age","min_value":50}),
 ("expect_column_median_to_be_between", {"column":"age","min_value":40,"max_value":55}, {"column":"age","max_value":30}),
 ("expect_column_stdev_to_be_between", {"column":"age","min_value":15,"max_value":20}, {"column":"age","max_value":10}),
 ("expect_column_quantile_values_to_be_between", {"column":"age","quantile_ranges":{"quantiles":[0.25,0.75],"value_ranges":[[25,40],[55,70]]}}, {"column":"age","quantile_ranges":{"quantiles":[0.5],"value_ranges":[[None,20]]}}),
 ("expect_column_sum_to_be_between", {"column":"label","min_value":1000,"max_value":2000}, {"column":"label","max_value":100}),
 ("expect_column_distinct_values_to_be_in_set", {"column":"region","value_set":["north","south","east","west","central"]}, {"column":"region","value_set":["north"]}),
 ("expect_table_duplicate_row_count_to_be_between", {"max_value":0}, {"min_value":1}),
 ("expect_table_duplicate_row_ratio_to_be_between", {"max_value":0.0}, {"min_value":0.5}),
 ("expect_table_labels_to_not_conflict", {"label_column":"label"}, {"label_column":"label","feature_columns":["region"]}),
 ("expect_column_proportions_to_match_baseline", {"column":"label","baseline":B,"tolerance":0.01}, {"column":"label","baseline":{"0":0.5,"1":0.5},"tolerance":0.05}),
 ("expect_column_value_z_scores_to_be_less_than", {"column":"income","threshold":4}, {"column":"income","threshold":1,"mostly":0.9}),
 ("expect_column_iqr_outlier_fraction_to_be_less_than", {"column":"income","max_value":0.01}, {"column":"income","max_value":0.01,"q1":60000,"q3":61000}),
 ("expect_column_stats_to_match_baseline", {"column":"age","baseline_file":"loans_baseline.json","baseline_sha256":"BASELINE"}, {"column":"income","baseline_file":"loans_baseline_shifted.json","baseline_sha256":"SHIFTED"}),
 ("expect_column_values_to_not_contain_pii", {"column":"note"}, {"column":"payload","detectors":["phone"],"mostly":1}),
 ("expect_column_values_to_not_contain_credentials", {"column":"note"}, {"column":"region"}),
]

base = json.load(open('loans_baseline.json'))
base['columns']['income']['mean'] += 3 * base['columns']['income']['std']
open('loans_baseline_shifted.json', 'w').write(json.dumps(base, indent=2) + "\n")
digest = lambda f: "sha256:" + hashlib.sha256(open(f, 'rb').read()).hexdigest()
schema = subprocess.check_output([os.environ.get('MLSEC', 'mlsec'), 'validate', 'digest', 'loans_clean.parquet']).decode().strip()

def fix(kw):
    s = json.dumps(kw)
    s = s.replace('"BASELINE"', json.dumps(digest('loans_baseline.json')))
    s = s.replace('"SHIFTED"', json.dumps(digest('loans_baseline_shifted.json')))
    s = s.replace('"SCHEMA_DIGEST"', json.dumps(schema))
    return json.loads(s)

for which, idx in (("pass", 1), ("fail", 2)):
    suite = {"name": "all-checks-" + which,
             "description": "Every check type once, expected to " + which + " on loans_clean.",
             "checks": [{"id": c[0], "type": c[0], "kwargs": fix(c[idx])} for c in cases]}
    open("all_checks_%s.json" % which, "w").write(json.dumps(suite, indent=1) + "\n")
print(len(cases), "check types")
