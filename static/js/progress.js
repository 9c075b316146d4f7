// Background jobs' progress bars (templates/_job_progress.html): each element with
// data-job-progress="<url>" asks that address how far its job got, every second, until the job
// is done (then its download link shows) or failed. A file, not inline: the CSP allows no
// inline script.
(() => {
  const watch = (box) => {
    const url = box.dataset.jobProgress;
    const bar = box.querySelector("progress");
    const part = (name) => box.querySelector(`[data-job-${name}]`);
    const show = (job) => {
      box.dataset.jobState = job.state;
      bar.value = job.percent;
      bar.textContent = `${job.percent}%`;
      part("state-label").textContent = job.state_label;
      part("count").textContent = job.count_label;
      part("summary").textContent = job.summary;
      part("error").textContent = job.error;
      const link = part("download");
      if (job.download_url) {
        link.href = job.download_url;
        link.hidden = false;
        const name = link.querySelector(".job-file-name");
        if (name) name.textContent = job.filename;
      }
    };
    let wait = 1000;
    const tick = () => {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
        .then((job) => {
          show(job);
          wait = 1000;
          if (job.state !== "done" && job.state !== "failed") setTimeout(tick, wait);
        })
        .catch(() => {
          wait = Math.min(wait * 2, 15000); // the server is busy or away: ask less often
          setTimeout(tick, wait);
        });
    };
    if (box.dataset.jobState !== "done" && box.dataset.jobState !== "failed") tick();
  };
  document.querySelectorAll("[data-job-progress]").forEach(watch);
})();
