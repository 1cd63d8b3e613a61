#pragma once
// The sample prompt sets bundled in the resources (":/samples/").
#include <QString>

namespace kvr::ui {

// The sample `name` ("study_cache.csv") as a file in <data>/samples, copied
// out of the resources on first use so the engine can read it like any CSV.
QString sampleFile(const QString& name);
// True for files sampleFile() hands out: they do not go to the recent-files list.
bool isSampleFile(const QString& path);
// <data>/samples: where an open-prompts dialog starts before the user chose a folder.
QString samplesDirectory();

}  // namespace kvr::ui
