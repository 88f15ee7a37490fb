"""Every string the admin UI shows, in Russian (the default), Kazakh and English, in one place.

The staff are the lender's marketers and privacy officer; Russian is their working language, and
Kazakh and English are offered on the same footing as the banner's. Keeping all strings here lets a
translator review one file and lets a test check that no language is missing a key.
"""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES: tuple[str, ...] = ("ru", "kk", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_NAMES: Mapping[str, str] = {"ru": "Русский", "kk": "Қазақша", "en": "English"}

TEXTS: Mapping[str, Mapping[str, str]] = {
    # -- banner appearance (kelisim.web.admin.appearance)
    # ----------------------------------------------
    "appearance_title": {"ru": "Вид баннера", "kk": "Баннер көрінісі", "en": "Banner appearance"},
    "appearance_intro": {
        "ru": "Положение, цветовая схема, логотип и цвета баннера. Изменения попадают в черновик "
        "и видны посетителям после публикации редакции. Пары цветов с контрастом ниже 4,5:1 "
        "не принимаются.",
        "kk": "Баннердің орны, түс схемасы, логотипі және түстері. Өзгерістер жобаға түседі және "
        "редакция жарияланғаннан кейін келушілерге көрінеді. Контрасты 4,5:1-ден төмен түс "
        "жұптары қабылданбайды.",
        "en": "The banner's position, colour scheme, logo and colours. Changes go into the draft "
        "and reach visitors once the revision is published. Colour pairs below 4.5:1 contrast "
        "are refused.",
    },
    "appearance_position": {"ru": "Положение", "kk": "Орны", "en": "Position"},
    "position_bar": {"ru": "Полоса внизу", "kk": "Төменгі жолақ", "en": "Bottom bar"},
    "position_box": {"ru": "Окно в углу", "kk": "Бұрыштағы терезе", "en": "Box in the corner"},
    "position_modal": {"ru": "Окно по центру", "kk": "Ортадағы терезе", "en": "Centred modal"},
    "appearance_theme": {"ru": "Цветовая схема", "kk": "Түс схемасы", "en": "Colour scheme"},
    "theme_light": {"ru": "Светлая", "kk": "Ашық", "en": "Light"},
    "theme_dark": {"ru": "Тёмная", "kk": "Күңгірт", "en": "Dark"},
    "theme_auto": {
        "ru": "Как в системе посетителя",
        "kk": "Келушінің жүйесіндегідей",
        "en": "As the visitor's system",
    },
    "appearance_logo": {
        "ru": "Адрес логотипа (https, необязательно)",
        "kk": "Логотип мекенжайы (https, міндетті емес)",
        "en": "Logo URL (https, optional)",
    },
    "appearance_scheme_light": {"ru": "Светлая схема", "kk": "Ашық схема", "en": "Light scheme"},
    "appearance_scheme_dark": {"ru": "Тёмная схема", "kk": "Күңгірт схема", "en": "Dark scheme"},
    "appearance_custom": {
        "ru": "Свои цвета (иначе встроенные)",
        "kk": "Өз түстеріңіз (әйтпесе кірістірілген)",
        "en": "Own colours (else the built-in ones)",
    },
    "color_background": {"ru": "Фон", "kk": "Фон", "en": "Background"},
    "color_text": {"ru": "Текст", "kk": "Мәтін", "en": "Text"},
    "color_accent": {
        "ru": "Акцент (кнопки, ссылки)",
        "kk": "Акцент (түймелер, сілтемелер)",
        "en": "Accent (buttons, links)",
    },
    "color_accent_text": {
        "ru": "Текст на кнопках",
        "kk": "Түймелердегі мәтін",
        "en": "Text on buttons",
    },
    # -- shell ---------------------------------------------------------------------------
    "app_title": {
        "ru": "Kelisim — управление согласиями",
        "kk": "Kelisim — келісімдерді басқару",
        "en": "Kelisim — consent management",
    },
    "skip_to_content": {
        "ru": "Перейти к содержимому",
        "kk": "Мазмұнға өту",
        "en": "Skip to content",
    },
    "nav_label": {"ru": "Разделы", "kk": "Бөлімдер", "en": "Sections"},
    "nav_dashboard": {"ru": "Обзор", "kk": "Шолу", "en": "Dashboard"},
    "nav_vendors": {"ru": "Сервисы", "kk": "Сервистер", "en": "Vendors"},
    "nav_revisions": {"ru": "Редакции", "kk": "Редакциялар", "en": "Revisions"},
    "nav_consent_log": {"ru": "Журнал согласий", "kk": "Келісімдер журналы", "en": "Consent log"},
    "nav_requests": {
        "ru": "Запросы субъектов",
        "kk": "Субъектілердің сұраулары",
        "en": "Subject requests",
    },
    "nav_scans": {"ru": "Сканирования", "kk": "Сканерлеулер", "en": "Scans"},
    "nav_users": {"ru": "Пользователи", "kk": "Пайдаланушылар", "en": "Users"},
    "nav_audit": {"ru": "Журнал действий", "kk": "Әрекеттер журналы", "en": "Audit log"},
    "signed_in_as": {"ru": "Вы вошли как", "kk": "Сіз кірдіңіз:", "en": "Signed in as"},
    "logout": {"ru": "Выйти", "kk": "Шығу", "en": "Log out"},
    "language": {"ru": "Язык", "kk": "Тіл", "en": "Language"},
    "role_viewer": {"ru": "наблюдатель", "kk": "бақылаушы", "en": "viewer"},
    "role_editor": {"ru": "редактор", "kk": "редактор", "en": "editor"},
    "role_admin": {"ru": "администратор", "kk": "әкімші", "en": "admin"},
    # -- login ---------------------------------------------------------------------------
    "login_title": {
        "ru": "Вход для сотрудников",
        "kk": "Қызметкерлердің кіруі",
        "en": "Staff login",
    },
    "username": {"ru": "Имя пользователя", "kk": "Пайдаланушы аты", "en": "Username"},
    "password": {"ru": "Пароль", "kk": "Құпиясөз", "en": "Password"},
    "login_submit": {"ru": "Войти", "kk": "Кіру", "en": "Log in"},
    "login_failed": {
        "ru": "Неверное имя пользователя или пароль.",
        "kk": "Пайдаланушы аты немесе құпиясөз қате.",
        "en": "Wrong username or password.",
    },
    "login_throttled": {
        "ru": "Слишком много неудачных попыток входа. Повторите через {minutes} мин.",
        "kk": "Сәтсіз кіру әрекеттері тым көп. {minutes} минуттан кейін қайталаңыз.",
        "en": "Too many failed login attempts. Try again in {minutes} min.",
    },
    "logged_out": {
        "ru": "Вы вышли из системы.",
        "kk": "Сіз жүйеден шықтыңыз.",
        "en": "You have logged out.",
    },
    "session_ended": {
        "ru": "Сеанс завершён из-за бездействия или по истечении срока. Войдите снова.",
        "kk": "Сеанс әрекетсіздікке немесе мерзімнің өтуіне байланысты аяқталды. Қайта кіріңіз.",
        "en": "Your session ended after inactivity or its time limit. Please log in again.",
    },
    "login_required": {
        "ru": "Войдите, чтобы продолжить.",
        "kk": "Жалғастыру үшін кіріңіз.",
        "en": "Please log in to continue.",
    },
    "hygiene_title": {
        "ru": "Правила безопасной работы",
        "kk": "Қауіпсіз жұмыс ережелері",
        "en": "Staying safe",
    },
    "hygiene_1": {
        "ru": "Входите только по адресу, который выдал администратор, и проверяйте, что "
        "соединение защищено (HTTPS, значок замка).",
        "kk": "Тек әкімші берген мекенжай арқылы кіріңіз және байланыстың қорғалғанын "
        "(HTTPS, құлып белгісі) тексеріңіз.",
        "en": "Only sign in at the address your administrator gave you, and check that the "
        "connection is secure (HTTPS, the padlock).",
    },
    "hygiene_2": {
        "ru": "Не сохраняйте пароль в браузере и никому его не сообщайте — ни коллегам, "
        "ни «службе поддержки».",
        "kk": "Құпиясөзді браузерде сақтамаңыз және оны ешкімге — әріптестерге де, "
        "«қолдау қызметіне» де айтпаңыз.",
        "en": "Do not let the browser save your password, and never tell it to anyone — "
        "colleagues or “support” included.",
    },
    "hygiene_3": {
        "ru": "Используйте длинный (от 12 символов) пароль, который больше нигде не применяется; "
        "храните его в менеджере паролей.",
        "kk": "Басқа еш жерде қолданылмайтын ұзын (кемінде 12 таңба) құпиясөз пайдаланыңыз; "
        "оны құпиясөз менеджерінде сақтаңыз.",
        "en": "Use a long password (12 characters or more) that you use nowhere else; keep it "
        "in a password manager.",
    },
    "hygiene_4": {
        "ru": "Не входите с чужих или общих компьютеров и завершайте работу кнопкой «Выйти».",
        "kk": "Бөгде немесе ортақ компьютерлерден кірмеңіз, жұмысты «Шығу» батырмасымен аяқтаңыз.",
        "en": "Do not sign in from someone else's or a shared computer, and finish with “Log out”.",
    },
    "hygiene_5": {
        "ru": "Письмо или звонок с просьбой назвать пароль — мошенничество. Сообщите о нём "
        "ответственному за информационную безопасность.",
        "kk": "Құпиясөзді сұраған хат немесе қоңырау — алаяқтық. Бұл туралы ақпараттық "
        "қауіпсіздікке жауапты адамға хабарлаңыз.",
        "en": "A message or call asking for your password is fraud. Report it to the person "
        "responsible for information security.",
    },
    # -- dashboard -----------------------------------------------------------------------
    "dashboard_title": {"ru": "Обзор", "kk": "Шолу", "en": "Dashboard"},
    "dashboard_welcome": {
        "ru": "Добро пожаловать, {name}.",
        "kk": "Қош келдіңіз, {name}.",
        "en": "Welcome, {name}.",
    },
    "dashboard_role": {
        "ru": "Ваша роль: {role}.",
        "kk": "Сіздің рөліңіз: {role}.",
        "en": "Your role: {role}.",
    },
    "catalogue_title": {
        "ru": "Каталог сервисов",
        "kk": "Сервистер каталогы",
        "en": "Vendor catalogue",
    },
    "catalogue_revision": {"ru": "Редакция", "kk": "Редакция", "en": "Revision"},
    "catalogue_vendors": {"ru": "Сервисов", "kk": "Сервистер саны", "en": "Vendors"},
    "catalogue_purposes": {"ru": "Целей", "kk": "Мақсаттар саны", "en": "Purposes"},
    "catalogue_unavailable": {
        "ru": "Каталог не загружен.",
        "kk": "Каталог жүктелмеген.",
        "en": "The catalogue is not loaded.",
    },
    "recent_activity": {
        "ru": "Последние действия",
        "kk": "Соңғы әрекеттер",
        "en": "Recent activity",
    },
    "all_activity": {
        "ru": "Весь журнал действий",
        "kk": "Барлық әрекеттер журналы",
        "en": "Full audit log",
    },
    "coming_title": {
        "ru": "Раздел появится в следующем выпуске",
        "kk": "Бөлім келесі шығарылымда пайда болады",
        "en": "Coming in a later release",
    },
    "coming_text": {
        "ru": "Этот раздел ещё в разработке. Пока им можно управлять через файл vendors.yaml "
        "и команду kelisim.",
        "kk": "Бұл бөлім әлі әзірленуде. Әзірге оны vendors.yaml файлы және kelisim командасы "
        "арқылы басқаруға болады.",
        "en": "This section is still being built. Meanwhile, use vendors.yaml and the kelisim "
        "command.",
    },
    # -- users ---------------------------------------------------------------------------
    "users_title": {"ru": "Пользователи", "kk": "Пайдаланушылар", "en": "Users"},
    "users_add_title": {"ru": "Новый пользователь", "kk": "Жаңа пайдаланушы", "en": "New user"},
    "password_repeat": {"ru": "Пароль ещё раз", "kk": "Құпиясөз қайтадан", "en": "Repeat password"},
    "password_hint": {
        "ru": "Не короче 12 символов, не из списка частых и не легко угадываемый. "
        "Передайте пароль лично, не по почте и не в мессенджере.",
        "kk": "Кемінде 12 таңба, жиі қолданылатын не оңай табылатын емес. "
        "Құпиясөзді поштамен не мессенджермен емес, жеке беріңіз.",
        "en": "At least 12 characters, not a common or easily guessed one. "
        "Hand it over in person, not by e-mail or chat.",
    },
    "role": {"ru": "Роль", "kk": "Рөл", "en": "Role"},
    "status": {"ru": "Состояние", "kk": "Күйі", "en": "Status"},
    "status_active": {"ru": "активен", "kk": "белсенді", "en": "active"},
    "status_disabled": {"ru": "отключён", "kk": "өшірілген", "en": "disabled"},
    "last_login": {"ru": "Последний вход", "kk": "Соңғы кіру", "en": "Last login"},
    "never": {"ru": "никогда", "kk": "ешқашан", "en": "never"},
    "created": {"ru": "Создан", "kk": "Құрылған", "en": "Created"},
    "actions": {"ru": "Действия", "kk": "Әрекеттер", "en": "Actions"},
    "users_add_submit": {"ru": "Добавить", "kk": "Қосу", "en": "Add user"},
    "change_role": {"ru": "Сменить роль", "kk": "Рөлді өзгерту", "en": "Change role"},
    "disable": {"ru": "Отключить", "kk": "Өшіру", "en": "Disable"},
    "enable": {"ru": "Включить", "kk": "Қосу", "en": "Enable"},
    "mfa_code_title": {
        "ru": "Код подтверждения",
        "kk": "Растау коды",
        "en": "Verification code",
    },
    "mfa_code_label": {
        "ru": "Код из приложения или код восстановления",
        "kk": "Қосымшадағы код немесе қалпына келтіру коды",
        "en": "Code from the app, or a recovery code",
    },
    "mfa_code_hint": {
        "ru": "Шесть цифр из приложения-аутентификатора.",
        "kk": "Аутентификатор қосымшасындағы алты цифр.",
        "en": "Six digits from your authenticator app.",
    },
    "mfa_verify": {
        "ru": "Войти",
        "kk": "Кіру",
        "en": "Sign in",
    },
    "mfa_wrong_code": {
        "ru": "Код не подходит или уже использован.",
        "kk": "Код сәйкес емес немесе бұрын қолданылған.",
        "en": "The code is wrong or already used.",
    },
    "mfa_enrol_title": {
        "ru": "Второй фактор входа",
        "kk": "Кірудің екінші факторы",
        "en": "Second sign-in factor",
    },
    "mfa_required": {
        "ru": "Для вашей роли второй фактор обязателен.",
        "kk": "Сіздің рөліңіз үшін екінші фактор міндетті.",
        "en": "Your role requires a second factor.",
    },
    "mfa_enrol_step1": {
        "ru": "Отсканируйте QR-код приложением-аутентификатором (или введите ключ вручную).",
        "kk": "QR-кодты аутентификатор қосымшасымен сканерлеңіз (немесе кілтті қолмен енгізіңіз).",
        "en": "Scan the QR code with an authenticator app (or type the key in).",
    },
    "mfa_enrol_step2": {
        "ru": "Введите шесть цифр, которые покажет приложение.",
        "kk": "Қосымша көрсеткен алты цифрды енгізіңіз.",
        "en": "Enter the six digits the app shows.",
    },
    "mfa_qr_label": {
        "ru": "QR-код для приложения-аутентификатора",
        "kk": "Аутентификатор қосымшасына арналған QR-код",
        "en": "QR code for the authenticator app",
    },
    "mfa_secret_label": {
        "ru": "Ключ:",
        "kk": "Кілт:",
        "en": "Key:",
    },
    "mfa_confirm": {
        "ru": "Подтвердить",
        "kk": "Растау",
        "en": "Confirm",
    },
    "mfa_recovery_title": {
        "ru": "Коды восстановления",
        "kk": "Қалпына келтіру кодтары",
        "en": "Recovery codes",
    },
    "mfa_recovery_hint": {
        "ru": "Сохраните эти коды в надёжном месте: каждый можно использовать один раз, "
        "если телефона нет под рукой. Они показываются только сейчас.",
        "kk": "Бұл кодтарды сенімді жерде сақтаңыз: телефон жоқ кезде әрқайсысын бір рет "
        "қолдануға болады. Олар тек қазір көрсетіледі.",
        "en": "Keep these codes somewhere safe: each works once when your phone is not at "
        "hand. They are shown only now.",
    },
    "mfa_continue": {
        "ru": "Продолжить",
        "kk": "Жалғастыру",
        "en": "Continue",
    },
    "mfa_reset": {
        "ru": "Сбросить второй фактор",
        "kk": "Екінші факторды қалпына келтіру",
        "en": "Reset second factor",
    },
    "mfa_reset_done": {
        "ru": "Второй фактор для {name} сброшен; при следующем входе он настроит его заново.",
        "kk": "{name} үшін екінші фактор алынды; келесі кіруде қайта бапталады.",
        "en": "Second factor of {name} reset; it is set up again at the next sign-in.",
    },
    "unlock": {"ru": "Снять блокировку", "kk": "Бұғатты алу", "en": "Unlock"},
    "status_locked": {
        "ru": "вход заблокирован",
        "kk": "кіру бұғатталған",
        "en": "login locked",
    },
    "user_unlocked": {
        "ru": "Блокировка входа для {name} снята.",
        "kk": "{name} үшін кіру бұғаты алынды.",
        "en": "Login lock for {name} lifted.",
    },
    "you": {"ru": "это вы", "kk": "бұл сіз", "en": "you"},
    "user_added": {
        "ru": "Пользователь {name} добавлен.",
        "kk": "{name} пайдаланушысы қосылды.",
        "en": "User {name} added.",
    },
    "user_updated": {
        "ru": "Пользователь {name} изменён.",
        "kk": "{name} пайдаланушысы өзгертілді.",
        "en": "User {name} updated.",
    },
    "error_form": {
        "ru": "Заполните все поля.",
        "kk": "Барлық өрістерді толтырыңыз.",
        "en": "Please fill in every field.",
    },
    "error_passwords_differ": {
        "ru": "Пароли не совпадают.",
        "kk": "Құпиясөздер сәйкес келмейді.",
        "en": "The passwords do not match.",
    },
    "error_invalid_username": {
        "ru": "Имя пользователя: 3–64 символа — латинские буквы, цифры, «.», «_», «@», «-».",
        "kk": "Пайдаланушы аты: 3–64 таңба — латын әріптері, сандар, «.», «_», «@», «-».",
        "en": "Username: 3–64 characters — latin letters, digits, '.', '_', '@', '-'.",
    },
    "error_common_password": {
        "ru": "Этот пароль есть в списке самых распространённых. Выберите другой.",
        "kk": "Бұл құпиясөз ең көп таралғандар тізімінде бар. Басқасын таңдаңыз.",
        "en": "This password is on the list of the most common ones. Choose another.",
    },
    "error_guessable_password": {
        "ru": "Пароль легко подобрать (повторы, последовательности, ряды клавиш, частые слова). "
        "Несколько не связанных слов дают надёжный пароль.",
        "kk": "Құпиясөзді табу оңай (қайталау, тізбек, перне қатары, жиі сөздер). "
        "Бір-бірімен байланыссыз бірнеше сөз сенімді құпиясөз береді.",
        "en": "The password is easy to guess (repeats, sequences, keyboard rows, common words). "
        "A few unrelated words make a strong one.",
    },
    "error_weak_password": {
        "ru": "Пароль должен быть не короче 12 символов и не совпадать с именем пользователя.",
        "kk": "Құпиясөз кемінде 12 таңба болуы және пайдаланушы атымен сәйкес келмеуі керек.",
        "en": "The password needs 12 characters or more and must differ from the username.",
    },
    "error_username_taken": {
        "ru": "Такое имя пользователя уже занято.",
        "kk": "Бұл пайдаланушы аты бос емес.",
        "en": "That username is already taken.",
    },
    "error_last_admin": {
        "ru": "Нельзя отключить или понизить последнего активного администратора.",
        "kk": "Соңғы белсенді әкімшіні өшіруге немесе рөлін төмендетуге болмайды.",
        "en": "The last active admin cannot be disabled or demoted.",
    },
    "error_unknown_user": {
        "ru": "Пользователь не найден.",
        "kk": "Пайдаланушы табылмады.",
        "en": "No such user.",
    },
    "error_invalid_role": {"ru": "Неизвестная роль.", "kk": "Белгісіз рөл.", "en": "Unknown role."},
    "error_self_disable": {
        "ru": "Нельзя отключить собственную учётную запись.",
        "kk": "Өз есептік жазбаңызды өшіруге болмайды.",
        "en": "You cannot disable your own account.",
    },
    # -- audit log -----------------------------------------------------------------------
    "audit_title": {"ru": "Журнал действий", "kk": "Әрекеттер журналы", "en": "Audit log"},
    "audit_intro": {
        "ru": "Кто, когда и что изменил. Записи не редактируются и не удаляются.",
        "kk": "Кім, қашан және нені өзгертті. Жазбалар өңделмейді және жойылмайды.",
        "en": "Who changed what, and when. Entries are never edited or deleted.",
    },
    "audit_at": {"ru": "Время (UTC)", "kk": "Уақыт (UTC)", "en": "Time (UTC)"},
    "audit_actor": {"ru": "Кто", "kk": "Кім", "en": "Actor"},
    "audit_action": {"ru": "Действие", "kk": "Әрекет", "en": "Action"},
    "audit_target": {"ru": "Объект", "kk": "Нысан", "en": "Target"},
    "audit_change": {"ru": "Изменение", "kk": "Өзгеріс", "en": "Change"},
    "audit_empty": {
        "ru": "Записей пока нет.",
        "kk": "Әзірге жазбалар жоқ.",
        "en": "No entries yet.",
    },
    "audit_older": {
        "ru": "Более ранние записи",
        "kk": "Ертеректегі жазбалар",
        "en": "Older entries",
    },
    "audit_newest": {"ru": "К последним записям", "kk": "Соңғы жазбаларға", "en": "Newest entries"},
    # -- errors --------------------------------------------------------------------------
    "error_title": {"ru": "Ошибка", "kk": "Қате", "en": "Error"},
    "error_403": {
        "ru": "У вашей роли нет доступа к этой странице или действию.",
        "kk": "Сіздің рөліңізге бұл бетке немесе әрекетке рұқсат жоқ.",
        "en": "Your role does not allow this page or action.",
    },
    "error_csrf": {
        "ru": "Форма устарела или отправлена не с этого сайта. Обновите страницу и повторите.",
        "kk": "Пішін ескірген немесе осы сайттан жіберілмеген. Бетті жаңартып, қайталаңыз.",
        "en": "The form has expired or did not come from this site. Reload the page and retry.",
    },
    "error_404": {
        "ru": "Страница не найдена.",
        "kk": "Бет табылмады.",
        "en": "Page not found.",
    },
    "error_500": {
        "ru": "Что-то пошло не так. Повторите позже; если ошибка останется, "
        "сообщите администратору.",
        "kk": "Бір нәрсе дұрыс болмады. Кейінірек қайталаңыз; қате қайталанса, "
        "әкімшіге хабарлаңыз.",
        "en": "Something went wrong. Try again later; if it persists, tell your administrator.",
    },
    "back_to_dashboard": {"ru": "На главную", "kk": "Басты бетке", "en": "Back to the dashboard"},
    # -- catalogue: vendors, texts, purposes, revisions (kelisim.web.admin.vendors, revisions)
    # ------
    "vendors_title": {"ru": "Сервисы", "kk": "Сервистер", "en": "Vendors"},
    "vendors_intro": {
        "ru": "Изменения попадают в черновик. Посетители увидят их только после публикации.",
        "kk": "Өзгерістер жобаға түседі. Келушілер оларды тек жарияланғаннан кейін көреді.",
        "en": "Edits go to the draft. Visitors see them only after you publish.",
    },
    "vendor_add": {"ru": "Добавить сервис", "kk": "Сервис қосу", "en": "Add a vendor"},
    "vendor_new_title": {"ru": "Новый сервис", "kk": "Жаңа сервис", "en": "New vendor"},
    "vendor_edit_title": {
        "ru": "Сервис {name}",
        "kk": "{name} сервисі",
        "en": "Vendor {name}",
    },
    "vendor_id": {"ru": "Идентификатор", "kk": "Идентификатор", "en": "Id"},
    "vendor_id_hint": {
        "ru": "Латинские строчные буквы, цифры и «_», например yandex_metrika.",
        "kk": "Латынның кіші әріптері, сандар және «_», мысалы yandex_metrika.",
        "en": "Lowercase latin letters, digits and '_', e.g. yandex_metrika.",
    },
    "vendor_name": {"ru": "Название", "kk": "Атауы", "en": "Name"},
    "vendor_company": {"ru": "Компания", "kk": "Компания", "en": "Company"},
    "vendor_country": {
        "ru": "Страна получателя данных",
        "kk": "Деректерді алушы ел",
        "en": "Country the data goes to",
    },
    "vendor_country_hint": {
        "ru": "Код ISO из двух букв (RU, US, KZ). Пусто — не установлена (объясните в заметках).",
        "kk": "Екі әріпті ISO коды (RU, US, KZ). Бос — анықталмаған (жазбаларда түсіндіріңіз).",
        "en": "Two-letter ISO code (RU, US, KZ). Empty: not established (explain in the notes).",
    },
    "vendor_cross_border": {
        "ru": "Данные передаются за пределы Казахстана",
        "kk": "Деректер Қазақстаннан тыс жерге беріледі",
        "en": "Data leaves Kazakhstan",
    },
    "vendor_purposes": {"ru": "Цели", "kk": "Мақсаттар", "en": "Purposes"},
    "vendor_policy": {
        "ru": "Политика конфиденциальности (URL)",
        "kk": "Құпиялылық саясаты (URL)",
        "en": "Privacy policy URL",
    },
    "vendor_consent_api": {
        "ru": "API согласия сервиса",
        "kk": "Сервистің келісім API-і",
        "en": "Vendor's consent API",
    },
    "vendor_script_hosts": {
        "ru": "Хосты скриптов (по одному в строке)",
        "kk": "Скрипт хостары (әр жолға біреуден)",
        "en": "Script hosts (one per line)",
    },
    "vendor_script_hosts_hint": {
        "ru": "Новый хост скрипта публикуется только после одобрения вторым администратором.",
        "kk": "Жаңа скрипт хосты екінші әкімші мақұлдағаннан кейін ғана жарияланады.",
        "en": "A new script host is published only after a second admin approves it.",
    },
    "vendor_beacon_hosts": {
        "ru": "Хосты отправки данных (по одному в строке)",
        "kk": "Деректер жіберілетін хостар (әр жолға біреуден)",
        "en": "Beacon hosts (one per line)",
    },
    "vendor_paths": {
        "ru": "Пути на собственном сайте (по одному в строке)",
        "kk": "Сайттың өзіндегі жолдар (әр жолға біреуден)",
        "en": "Paths on the site itself (one per line)",
    },
    "vendor_cookies": {"ru": "Cookie", "kk": "Cookie", "en": "Cookies"},
    "vendor_cookies_hint": {
        "ru": "Пустые строки не сохраняются. Срок: 365d, 12h, 30m, session или unknown.",
        "kk": "Бос жолдар сақталмайды. Мерзімі: 365d, 12h, 30m, session немесе unknown.",
        "en": "Empty rows are ignored. Lifetime: 365d, 12h, 30m, session or unknown.",
    },
    "cookie_name": {"ru": "Имя", "kk": "Аты", "en": "Name"},
    "cookie_match": {"ru": "Сравнение", "kk": "Салыстыру", "en": "Match"},
    "cookie_party": {"ru": "Сторона", "kk": "Тарап", "en": "Party"},
    "cookie_domain": {"ru": "Домен", "kk": "Домен", "en": "Domain"},
    "cookie_lifetime": {"ru": "Срок", "kk": "Мерзімі", "en": "Lifetime"},
    "vendor_storage": {
        "ru": "Ключи хранилища браузера",
        "kk": "Браузер қоймасының кілттері",
        "en": "Browser storage keys",
    },
    "storage_kind": {"ru": "Хранилище", "kk": "Қойма", "en": "Storage"},
    "storage_key": {"ru": "Ключ", "kk": "Кілт", "en": "Key"},
    "vendor_unknown": {
        "ru": "Что не удалось установить (поле: заметка, по одной в строке)",
        "kk": "Анықталмаған деректер (өріс: жазба, әр жолға біреуден)",
        "en": "What could not be established (field: note, one per line)",
    },
    "vendor_unknown_line": {
        "ru": "Строка «{line}»: напишите «поле: заметка».",
        "kk": "«{line}» жолы: «өріс: жазба» түрінде жазыңыз.",
        "en": "Line '{line}': write 'field: note'.",
    },
    "vendor_description": {
        "ru": "Описание для посетителей ({lang_name})",
        "kk": "Келушілерге арналған сипаттама ({lang_name})",
        "en": "Description for visitors ({lang_name})",
    },
    "vendor_enabled": {"ru": "включён", "kk": "қосулы", "en": "enabled"},
    "vendor_disabled": {"ru": "отключён", "kk": "өшірілген", "en": "disabled"},
    "vendor_changed": {
        "ru": "изменён в черновике",
        "kk": "жобада өзгертілген",
        "en": "changed in draft",
    },
    "vendor_state": {"ru": "Состояние", "kk": "Күйі", "en": "State"},
    "yes": {"ru": "да", "kk": "иә", "en": "yes"},
    "no": {"ru": "нет", "kk": "жоқ", "en": "no"},
    "save_draft": {
        "ru": "Сохранить в черновик",
        "kk": "Жобаға сақтау",
        "en": "Save to draft",
    },
    "edit": {"ru": "Изменить", "kk": "Өзгерту", "en": "Edit"},
    "view": {"ru": "Открыть", "kk": "Ашу", "en": "View"},
    "cancel": {"ru": "Отмена", "kk": "Болдырмау", "en": "Cancel"},
    "saved_to_draft": {
        "ru": "Сохранено в черновик. Опубликуйте, когда будете готовы.",
        "kk": "Жобаға сақталды. Дайын болғанда жариялаңыз.",
        "en": "Saved to the draft. Publish when you are ready.",
    },
    "vendor_disabled_done": {
        "ru": "Сервис {name} отключён в черновике.",
        "kk": "{name} сервисі жобада өшірілді.",
        "en": "Vendor {name} disabled in the draft.",
    },
    "vendor_enabled_done": {
        "ru": "Сервис {name} снова включён в черновике.",
        "kk": "{name} сервисі жобада қайта қосылды.",
        "en": "Vendor {name} enabled again in the draft.",
    },
    "fix_problems": {
        "ru": "Черновик не изменён — исправьте отмеченные поля:",
        "kk": "Жоба өзгертілмеді — белгіленген өрістерді түзетіңіз:",
        "en": "The draft is unchanged — fix the marked fields:",
    },
    "read_only": {
        "ru": "Ваша роль позволяет только просматривать.",
        "kk": "Сіздің рөліңіз тек қарауға мүмкіндік береді.",
        "en": "Your role can only view this.",
    },
    "texts_title": {"ru": "Тексты баннера", "kk": "Баннер мәтіндері", "en": "Banner texts"},
    "texts_language": {
        "ru": "Тексты баннера: {lang_name}",
        "kk": "Баннер мәтіндері: {lang_name}",
        "en": "Banner texts: {lang_name}",
    },
    "texts_hint": {
        "ru": "Заполнители в фигурных скобках ({vendor}, {purpose}) должны остаться.",
        "kk": "Фигуралық жақшадағы толтырғыштар ({vendor}, {purpose}) сақталуы тиіс.",
        "en": "Keep the placeholders in braces ({vendor}, {purpose}).",
    },
    "purposes_title": {"ru": "Цели", "kk": "Мақсаттар", "en": "Purposes"},
    "purpose_edit_title": {"ru": "Цель {name}", "kk": "{name} мақсаты", "en": "Purpose {name}"},
    "purpose_name": {
        "ru": "Название ({lang_name})",
        "kk": "Атауы ({lang_name})",
        "en": "Name ({lang_name})",
    },
    "purpose_required": {
        "ru": "всегда включена",
        "kk": "әрқашан қосулы",
        "en": "always on",
    },
    "revisions_title": {"ru": "Редакции", "kk": "Редакциялар", "en": "Revisions"},
    "live_revision": {
        "ru": "Действующая редакция {number}",
        "kk": "Қолданыстағы {number} редакция",
        "en": "Live revision {number}",
    },
    "published_by_at": {
        "ru": "Опубликовал {name}, {at} (UTC)",
        "kk": "Жариялаған: {name}, {at} (UTC)",
        "en": "Published by {name}, {at} (UTC)",
    },
    "approved_by": {"ru": "одобрил {name}", "kk": "мақұлдаған: {name}", "en": "approved by {name}"},
    "export_yaml": {
        "ru": "Скачать vendors.yaml",
        "kk": "vendors.yaml жүктеу",
        "en": "Download vendors.yaml",
    },
    "draft_title": {"ru": "Черновик", "kk": "Жоба", "en": "Draft"},
    "draft_no_changes": {
        "ru": "В черновике нет изменений относительно действующей редакции.",
        "kk": "Жобада қолданыстағы редакциямен салыстырғанда өзгеріс жоқ.",
        "en": "The draft has no changes against the live revision.",
    },
    "draft_changes": {
        "ru": "Изменений в черновике: {count}.",
        "kk": "Жобадағы өзгерістер саны: {count}.",
        "en": "Changes in the draft: {count}.",
    },
    "review_and_publish": {
        "ru": "Проверить изменения и опубликовать",
        "kk": "Өзгерістерді тексеріп, жариялау",
        "en": "Review changes and publish",
    },
    "diff_title": {
        "ru": "Изменения перед публикацией",
        "kk": "Жариялау алдындағы өзгерістер",
        "en": "Changes before publishing",
    },
    "diff_intro": {
        "ru": "Черновик против действующей редакции {number}. После публикации редакция станет "
        "{next}, и баннер снова спросит согласие у всех посетителей.",
        "kk": "Жоба мен қолданыстағы {number} редакция. Жариялағаннан кейін редакция {next} "
        "болады, баннер барлық келушілерден келісімді қайта сұрайды.",
        "en": "The draft against live revision {number}. Publishing makes it revision {next}, "
        "and the banner asks every visitor again.",
    },
    "diff_field": {"ru": "Поле", "kk": "Өріс", "en": "Field"},
    "diff_before": {"ru": "Было", "kk": "Болған", "en": "Before"},
    "diff_after": {"ru": "Стало", "kk": "Болды", "en": "After"},
    "diff_section_catalogue": {"ru": "Настройки", "kk": "Баптаулар", "en": "Settings"},
    "diff_section_texts": {
        "ru": "Тексты баннера ({item})",
        "kk": "Баннер мәтіндері ({item})",
        "en": "Banner texts ({item})",
    },
    "diff_section_purpose": {"ru": "Цель {item}", "kk": "{item} мақсаты", "en": "Purpose {item}"},
    "diff_section_vendor": {"ru": "Сервис {item}", "kk": "{item} сервисі", "en": "Vendor {item}"},
    "diff_added": {"ru": "добавлен", "kk": "қосылды", "en": "added"},
    "diff_removed": {"ru": "отключён", "kk": "өшірілді", "en": "disabled"},
    "needs_approval": {
        "ru": "Черновик добавляет хосты скриптов — после публикации его должен одобрить другой "
        "администратор:",
        "kk": "Жоба скрипт хостарын қосады — жариялағаннан кейін оны басқа әкімші мақұлдауы керек:",
        "en": "The draft adds script hosts — another admin must approve it after you publish:",
    },
    "asks_again": {
        "ru": "Изменения существенные: после публикации баннер снова спросит всех посетителей, "
        "потому что:",
        "kk": "Өзгерістер елеулі: жариялағаннан кейін баннер барлық келушілерден қайта сұрайды, "
        "себебі:",
        "en": "The change is material: after publishing, the banner asks every visitor again, "
        "because of:",
    },
    "keeps_choices": {
        "ru": "Изменения не существенные (тексты, меньше сервисов или данных): уже сделанный выбор "
        "посетителей остаётся в силе, баннер их снова не спросит.",
        "kk": "Өзгерістер елеулі емес (мәтіндер, сервистер немесе деректер азаяды): келушілердің "
        "жасаған таңдауы күшінде қалады, баннер олардан қайта сұрамайды.",
        "en": "The change is not material (texts, fewer vendors or data): the choices visitors "
        "already made stand, and the banner does not ask them again.",
    },
    "asked_again": {
        "ru": "Спросили заново",
        "kk": "Қайта сұралды",
        "en": "Asked again",
    },
    "choices_since": {
        "ru": "действует выбор с редакции {number}",
        "kk": "{number}-редакциядан бергі таңдау күшінде",
        "en": "choices since revision {number} stand",
    },
    "ask_again_anyway": {
        "ru": "Всё равно спросить всех посетителей заново",
        "kk": "Бәрібір барлық келушілерден қайта сұрау",
        "en": "Ask every visitor again anyway",
    },
    "publish": {"ru": "Опубликовать", "kk": "Жариялау", "en": "Publish"},
    "request_approval": {
        "ru": "Отправить на одобрение",
        "kk": "Мақұлдауға жіберу",
        "en": "Request approval",
    },
    "discard_draft": {
        "ru": "Отменить все изменения черновика",
        "kk": "Жобаның барлық өзгерістерін болдырмау",
        "en": "Discard all draft changes",
    },
    "draft_discarded": {
        "ru": "Черновик сброшен к действующей редакции.",
        "kk": "Жоба қолданыстағы редакцияға қайтарылды.",
        "en": "The draft is back to the live revision.",
    },
    "published_done": {
        "ru": "Опубликована редакция {number}. Баннер снова спросит согласие.",
        "kk": "{number} редакция жарияланды. Баннер келісімді қайта сұрайды.",
        "en": "Revision {number} is live. The banner will ask again.",
    },
    "approval_requested": {
        "ru": "Запрос на одобрение создан. Опубликует его другой администратор.",
        "kk": "Мақұлдау сұрауы жасалды. Оны басқа әкімші жариялайды.",
        "en": "Approval requested. Another admin will publish it.",
    },
    "approval_title": {
        "ru": "Запрос на одобрение №{id}",
        "kk": "№{id} мақұлдау сұрауы",
        "en": "Approval request #{id}",
    },
    "approval_pending": {
        "ru": "Ожидает одобрения: запрос №{id} от {name}. Черновик заблокирован до решения.",
        "kk": "Мақұлдауды күтуде: {name} жіберген №{id} сұрау. Шешімге дейін жоба бұғатталған.",
        "en": "Awaiting approval: request #{id} by {name}. The draft is locked until decided.",
    },
    "approval_hosts": {
        "ru": "Новые хосты скриптов",
        "kk": "Жаңа скрипт хостары",
        "en": "New script hosts",
    },
    "approve": {
        "ru": "Одобрить и опубликовать",
        "kk": "Мақұлдап, жариялау",
        "en": "Approve and publish",
    },
    "reject": {"ru": "Отклонить", "kk": "Қабылдамау", "en": "Reject"},
    "withdraw_request": {
        "ru": "Отозвать запрос",
        "kk": "Сұрауды қайтарып алу",
        "en": "Withdraw request",
    },
    "approval_rejected": {
        "ru": "Запрос отклонён. Черновик снова можно изменять.",
        "kk": "Сұрау қабылданбады. Жобаны қайта өзгертуге болады.",
        "en": "Request rejected. The draft can be edited again.",
    },
    "approval_not_independent": {
        "ru": "Одобрить может только администратор, чью роль выдал не автор запроса "
        "(ни прямо, ни через других).",
        "kk": "Рөлін сұрау авторы (тікелей не басқалар арқылы) бермеген әкімші ғана "
        "мақұлдай алады.",
        "en": "Only an admin whose role the requester did not grant (directly or through others) "
        "can approve.",
    },
    "approval_own": {
        "ru": "Свой запрос одобрить нельзя — нужен другой администратор.",
        "kk": "Өз сұрауыңызды мақұлдай алмайсыз — басқа әкімші керек.",
        "en": "You cannot approve your own request — another admin must.",
    },
    "approval_status_pending": {"ru": "ожидает", "kk": "күтуде", "en": "pending"},
    "approval_status_approved": {"ru": "одобрен", "kk": "мақұлданды", "en": "approved"},
    "approval_status_rejected": {"ru": "отклонён", "kk": "қабылданбады", "en": "rejected"},
    "approval_status_superseded": {"ru": "устарел", "kk": "ескірді", "en": "superseded"},
    "approvals_title": {
        "ru": "Запросы на одобрение",
        "kk": "Мақұлдау сұраулары",
        "en": "Approval requests",
    },
    "history_title": {
        "ru": "История редакций",
        "kk": "Редакциялар тарихы",
        "en": "Revision history",
    },
    "requested_by": {"ru": "Автор", "kk": "Авторы", "en": "Requested by"},
    "decided_by": {"ru": "Решение", "kk": "Шешім", "en": "Decided by"},
    "import_title": {
        "ru": "Загрузить vendors.yaml в черновик",
        "kk": "vendors.yaml файлын жобаға жүктеу",
        "en": "Load vendors.yaml into the draft",
    },
    "import_hint": {
        "ru": "Файл проверяется целиком; ошибки показываются с номерами строк. Черновик заменяется "
        "содержимым файла, публикация — отдельным шагом.",
        "kk": "Файл толық тексеріледі; қателер жол нөмірлерімен көрсетіледі. Жоба файл "
        "мазмұнымен ауыстырылады, жариялау — бөлек қадам.",
        "en": "The whole file is checked; problems are shown with line numbers. The draft is "
        "replaced by the file; publishing is a separate step.",
    },
    "import_submit": {"ru": "Загрузить", "kk": "Жүктеу", "en": "Load"},
    "imported": {
        "ru": "Файл {name} загружен в черновик.",
        "kk": "{name} файлы жобаға жүктелді.",
        "en": "{name} is loaded into the draft.",
    },
    "import_problems": {
        "ru": "Файл не загружен — в нём есть ошибки:",
        "kk": "Файл жүктелмеді — онда қателер бар:",
        "en": "The file was not loaded — it has problems:",
    },
    "import_not_utf8": {
        "ru": "Файл должен быть в кодировке UTF-8.",
        "kk": "Файл UTF-8 кодтауында болуы керек.",
        "en": "The file must be UTF-8 text.",
    },
    "error_revision_pending": {
        "ru": "Черновик ожидает одобрения — сначала одобрите или отклоните запрос.",
        "kk": "Жоба мақұлдауды күтуде — алдымен сұрауды мақұлдаңыз не қабылдамаңыз.",
        "en": "The draft is awaiting approval — approve or reject the request first.",
    },
    "error_revision_changed": {
        "ru": "Черновик изменился, пока вы его проверяли. Проверьте изменения ещё раз.",
        "kk": "Сіз тексеріп жатқанда жоба өзгерді. Өзгерістерді қайта тексеріңіз.",
        "en": "The draft changed while you were reviewing it. Review the changes again.",
    },
    "error_revision_nothing": {
        "ru": "Публиковать нечего: черновик совпадает с действующей редакцией.",
        "kk": "Жариялайтын ештеңе жоқ: жоба қолданыстағы редакциямен бірдей.",
        "en": "Nothing to publish: the draft is the live revision.",
    },
    "error_revision_superseded": {
        "ru": "Действующая редакция изменилась после запроса; запрос устарел.",
        "kk": "Сұраудан кейін қолданыстағы редакция өзгерді; сұрау ескірді.",
        "en": "The live revision changed after the request; the request is superseded.",
    },
    "error_revision_decided": {
        "ru": "По этому запросу уже принято решение.",
        "kk": "Бұл сұрау бойынша шешім қабылданған.",
        "en": "This request has already been decided.",
    },
    "error_revision_other": {
        "ru": "Действие не выполнено: {message}",
        "kk": "Әрекет орындалмады: {message}",
        "en": "Not done: {message}",
    },
    # -- dashboard: consent statistics ---------------------------------------------------
    "dash_filters": {"ru": "Фильтры", "kk": "Сүзгілер", "en": "Filters"},
    "dash_from": {"ru": "С", "kk": "Басы", "en": "From"},
    "dash_to": {"ru": "По", "kk": "Соңы", "en": "To"},
    "dash_site": {"ru": "Сайт", "kk": "Сайт", "en": "Site"},
    "dash_all_sites": {"ru": "Все сайты", "kk": "Барлық сайттар", "en": "All sites"},
    "dash_apply": {"ru": "Показать", "kk": "Көрсету", "en": "Show"},
    "dash_last_days": {
        "ru": "Последние {n} дн.",
        "kk": "Соңғы {n} күн",
        "en": "Last {n} days",
    },
    "dash_note": {
        "ru": "Считается каждый записанный выбор; боты исключены; дни — по времени Казахстана "
        "(UTC+5).",
        "kk": "Әрбір жазылған таңдау есептеледі; боттар алынып тасталған; күндер Қазақстан "
        "уақыты бойынша (UTC+5).",
        "en": "Every recorded choice counts; bots are excluded; days are in Kazakhstan time "
        "(UTC+5).",
    },
    "dash_choices_title": {
        "ru": "Ответы на баннер",
        "kk": "Баннерге жауаптар",
        "en": "Banner answers",
    },
    "dash_answers": {"ru": "Ответов", "kk": "Жауаптар", "en": "Answers"},
    "dash_withdrawals": {
        "ru": "Отзывы согласия",
        "kk": "Келісімді кері қайтару",
        "en": "Withdrawals",
    },
    "dash_bots": {
        "ru": "События ботов (не учтены)",
        "kk": "Боттар оқиғалары (есептелмеген)",
        "en": "Bot events (excluded)",
    },
    "dash_empty": {
        "ru": "За этот период ответов нет.",
        "kk": "Бұл кезеңде жауаптар жоқ.",
        "en": "No answers recorded in this range.",
    },
    "dash_daily_title": {
        "ru": "Ответы по дням",
        "kk": "Күндер бойынша жауаптар",
        "en": "Answers per day",
    },
    "dash_table": {"ru": "Числа таблицей", "kk": "Сандар кестемен", "en": "Numbers as a table"},
    "dash_day": {"ru": "День", "kk": "Күн", "en": "Day"},
    "dash_vendors_title": {
        "ru": "Доля согласий по сервисам",
        "kk": "Сервистер бойынша келісім үлесі",
        "en": "Consent rate by vendor",
    },
    "dash_vendor": {"ru": "Сервис", "kk": "Сервис", "en": "Vendor"},
    "dash_purpose": {"ru": "Цель", "kk": "Мақсат", "en": "Purpose"},
    "dash_rate": {"ru": "Доля согласий", "kk": "Келісім үлесі", "en": "Consent rate"},
    "dash_granted_of": {
        "ru": "{granted} из {total}",
        "kk": "{total} ішінен {granted}",
        "en": "{granted} of {total}",
    },
    "dash_trend": {"ru": "По дням", "kk": "Күндер бойынша", "en": "Daily trend"},
    "dash_purposes_title": {
        "ru": "Согласия по целям",
        "kk": "Мақсаттар бойынша келісімдер",
        "en": "Consent by purpose",
    },
    "dash_purposes_daily": {
        "ru": "Доля полного согласия с целью по дням",
        "kk": "Мақсатқа толық келісім үлесі күндер бойынша",
        "en": "Share fully granted per purpose, per day",
    },
    "dash_by_language": {"ru": "По языку", "kk": "Тіл бойынша", "en": "By language"},
    "dash_by_device": {"ru": "По устройству", "kk": "Құрылғы бойынша", "en": "By device"},
    "dash_by_region": {"ru": "По региону", "kk": "Өңір бойынша", "en": "By region"},
    "dash_value": {"ru": "Значение", "kk": "Мәні", "en": "Value"},
    "action_accept_all": {"ru": "Принять все", "kk": "Барлығын қабылдау", "en": "Accept all"},
    "action_reject_all": {"ru": "Отклонить все", "kk": "Барлығынан бас тарту", "en": "Reject all"},
    "action_custom": {"ru": "Свой выбор", "kk": "Өз таңдауы", "en": "Custom choice"},
    "action_dismiss": {
        "ru": "Закрыт без выбора",
        "kk": "Таңдаусыз жабылды",
        "en": "Closed without a choice",
    },
    "action_withdraw": {"ru": "Отзыв согласия", "kk": "Келісімді кері қайтару", "en": "Withdrawal"},
    "outcome_granted": {"ru": "Разрешено", "kk": "Рұқсат етілді", "en": "Granted"},
    "outcome_partial": {"ru": "Частично", "kk": "Ішінара", "en": "Partly"},
    "outcome_denied": {"ru": "Запрещено", "kk": "Тыйым салынды", "en": "Denied"},
    # -- consent log ---------------------------------------------------------------------
    "log_consent_id": {
        "ru": "Идентификатор согласия",
        "kk": "Келісім идентификаторы",
        "en": "Consent id",
    },
    "log_find": {"ru": "Найти", "kk": "Табу", "en": "Find"},
    "log_not_found": {
        "ru": "Согласие с таким идентификатором не найдено (не записывалось или уничтожено).",
        "kk": "Мұндай идентификаторы бар келісім табылмады (жазылмаған немесе жойылған).",
        "en": "No consent with this id (never recorded, or destroyed).",
    },
    "log_export_needs_dates": {
        "ru": "Для выгрузки укажите обе даты периода (с и по) в виде ГГГГ-ММ-ДД.",
        "kk": (
            "Жүктеп алу үшін кезеңнің екі күнін де (бастап және дейін) "
            "ЖЖЖЖ-АА-КК түрінде көрсетіңіз."
        ),
        "en": "To export, give both dates of the range (from and to) as YYYY-MM-DD.",
    },
    "log_consent": {"ru": "Согласие", "kk": "Келісім", "en": "Consent"},
    "log_blocked": {
        "ru": "Заблокировано {at} UTC пользователем {actor}. Причина:",
        "kk": "{at} UTC уақытында {actor} бұғаттады. Себебі:",
        "en": "Blocked at {at} UTC by {actor}. Reason:",
    },
    "log_current": {"ru": "Текущее состояние", "kk": "Ағымдағы күйі", "en": "Current state"},
    "log_site": {"ru": "Сайт", "kk": "Сайт", "en": "Site"},
    "log_receipt": {
        "ru": "Квитанция посетителя",
        "kk": "Келушінің түбіртегі",
        "en": "Visitor's receipt",
    },
    "log_time": {"ru": "Время", "kk": "Уақыты", "en": "Time"},
    "log_action": {"ru": "Действие", "kk": "Әрекет", "en": "Action"},
    "log_granted": {
        "ru": "Разрешённые сервисы",
        "kk": "Рұқсат етілген сервистер",
        "en": "Granted vendors",
    },
    "log_context": {"ru": "Контекст", "kk": "Контекст", "en": "Context"},
    "log_notice": {"ru": "Показанный текст", "kk": "Көрсетілген мәтін", "en": "Notice shown"},
    "log_until": {"ru": "действует до", "kk": "дейін жарамды", "en": "valid until"},
    "log_texts_shown": {
        "ru": "Тексты, показанные посетителю",
        "kk": "Келушіге көрсетілген мәтіндер",
        "en": "Texts the visitor was shown",
    },
    "log_purposes_vendors": {
        "ru": "Цели и сервисы этой редакции",
        "kk": "Осы редакцияның мақсаттары мен сервистері",
        "en": "Purposes and vendors of this revision",
    },
    "log_company": {"ru": "Компания", "kk": "Компания", "en": "Company"},
    "log_country": {"ru": "Страна", "kk": "Ел", "en": "Country"},
    "log_cross_border": {"ru": "За рубеж", "kk": "Шетелге", "en": "Cross-border"},
    "log_export": {
        "ru": "Выгрузка доказательств согласия",
        "kk": "Келісім дәлелдерін жүктеп алу",
        "en": "Export evidence of consent",
    },
    "log_export_note": {
        "ru": "Все события за период: CSV или записи в формате ISO/IEC TS 27560 (JSON). "
        "Каждая выгрузка записывается в журнал действий.",
        "kk": "Кезеңдегі барлық оқиғалар: CSV немесе ISO/IEC TS 27560 пішіміндегі жазбалар (JSON). "
        "Әр жүктеу әрекеттер журналына жазылады.",
        "en": "Every event in the range, as CSV or as ISO/IEC TS 27560 records (JSON). "
        "Each export is written to the audit log.",
    },
    # -- subject requests ----------------------------------------------------------------
    "req_intro": {
        "ru": "Запросы субъекта данных (Закон 94-V, ст. 25): блокировать, разблокировать или "
        "уничтожить записи посетителя по идентификатору согласия — в течение одного рабочего дня. "
        "Каждое действие записывается в журнал с указанной причиной.",
        "kk": "Деректер субъектісінің сұраулары (94-V Заң, 25-бап): келушінің жазбаларын келісім "
        "идентификаторы бойынша бұғаттау, бұғаттан шығару немесе жою — бір жұмыс күні ішінде. "
        "Әр әрекет көрсетілген себебімен журналға жазылады.",
        "en": "Data-subject requests (Law 94-V Art. 25): block, unblock or destroy a visitor's "
        "records by consent id, within one working day. Each action is logged with its reason.",
    },
    "req_reason": {
        "ru": "Причина (номер обращения, основание)",
        "kk": "Себебі (өтініш нөмірі, негіздеме)",
        "en": "Reason (request number, grounds)",
    },
    "req_block": {"ru": "Заблокировать", "kk": "Бұғаттау", "en": "Block"},
    "req_unblock": {"ru": "Разблокировать", "kk": "Бұғаттан шығару", "en": "Unblock"},
    "req_destroy": {"ru": "Уничтожить", "kk": "Жою", "en": "Destroy"},
    "req_confirm": {
        "ru": "Я понимаю, что уничтожение необратимо",
        "kk": "Жоюдың қайтымсыз екенін түсінемін",
        "en": "I understand destruction cannot be undone",
    },
    "req_destroy_note": {
        "ru": "Уничтожение стирает идентификатор, страницу, регион и IP-данные во всех событиях "
        "согласия; сами решения остаются в защищённом журнале без связи с посетителем.",
        "kk": "Жою келісімнің барлық оқиғаларындағы идентификаторды, бетті, өңірді және IP "
        "деректерін өшіреді; шешімдердің өзі қорғалған журналда келушімен байланыссыз қалады.",
        "en": "Destroying blanks the id, page, region and IP data in every event of the consent; "
        "the decisions stay in the tamper-evident log, no longer linked to the visitor.",
    },
    "req_blocked_title": {
        "ru": "Заблокированные согласия",
        "kk": "Бұғатталған келісімдер",
        "en": "Blocked consents",
    },
    "req_none_blocked": {
        "ru": "Заблокированных согласий нет.",
        "kk": "Бұғатталған келісімдер жоқ.",
        "en": "No consent is blocked.",
    },
    "req_blocked": {
        "ru": "Согласие заблокировано: сайт считает его отсутствующим.",
        "kk": "Келісім бұғатталды: сайт оны жоқ деп санайды.",
        "en": "Consent blocked: the site now treats it as no consent.",
    },
    "req_unblocked": {
        "ru": "Блокировка снята.",
        "kk": "Бұғат алынды.",
        "en": "Block lifted.",
    },
    "req_destroyed": {
        "ru": "Данные уничтожены в {events} событиях.",
        "kk": "Деректер {events} оқиғада жойылды.",
        "en": "Personal data destroyed in {events} events.",
    },
    "req_error_unknown_consent": {
        "ru": "Согласие с таким идентификатором не найдено.",
        "kk": "Мұндай идентификаторы бар келісім табылмады.",
        "en": "No consent with this id.",
    },
    "req_error_reason_required": {
        "ru": "Укажите причину.",
        "kk": "Себебін көрсетіңіз.",
        "en": "Please give a reason.",
    },
    "req_error_already_blocked": {
        "ru": "Это согласие уже заблокировано.",
        "kk": "Бұл келісім бұғатталып қойған.",
        "en": "This consent is already blocked.",
    },
    "req_error_not_blocked": {
        "ru": "Это согласие не заблокировано.",
        "kk": "Бұл келісім бұғатталмаған.",
        "en": "This consent is not blocked.",
    },
    "req_error_confirm": {
        "ru": "Подтвердите уничтожение флажком.",
        "kk": "Жоюды белгімен растаңыз.",
        "en": "Tick the box to confirm destruction.",
    },
    # -- subject-request queue (kelisim.web.admin.subject_requests) ----------------------
    "nav_subject_requests": {
        "ru": "Очередь запросов",
        "kk": "Сұраулар кезегі",
        "en": "Request queue",
    },
    "sreq_intro": {
        "ru": "Запросы, которые посетители подали на странице подтверждения согласия. Срок — "
        "конец следующего рабочего дня по времени Алматы (Закон 94-V, ст. 25). Просроченные "
        "запросы отмечены; каждое действие записывается в журнал действий.",
        "kk": "Келушілер келісімді растау бетінде берген сұраулар. Мерзімі — Алматы уақытымен "
        "келесі жұмыс күнінің соңы (94-V Заң, 25-бап). Мерзімі өткен сұраулар белгіленген; әр "
        "әрекет әрекеттер журналына жазылады.",
        "en": "Requests visitors filed on their consent receipt page. Each is due at the end of "
        "the next working day, Almaty time (Law 94-V Art. 25). Overdue ones are marked; every "
        "action is written to the audit log.",
    },
    "sreq_open_title": {"ru": "Открытые запросы", "kk": "Ашық сұраулар", "en": "Open requests"},
    "sreq_none_open": {
        "ru": "Открытых запросов нет.",
        "kk": "Ашық сұраулар жоқ.",
        "en": "No open requests.",
    },
    "sreq_closed_title": {
        "ru": "Недавно закрытые",
        "kk": "Жақында жабылғандар",
        "en": "Recently closed",
    },
    "sreq_reference": {"ru": "Номер", "kk": "Нөмірі", "en": "Reference"},
    "sreq_kind": {"ru": "Запрос", "kk": "Сұрау", "en": "Request"},
    "sreq_received": {
        "ru": "Получен (Алматы)",
        "kk": "Алынды (Алматы)",
        "en": "Received (Almaty)",
    },
    "sreq_due": {"ru": "Срок (Алматы)", "kk": "Мерзімі (Алматы)", "en": "Due (Almaty)"},
    "sreq_closed_at": {"ru": "Закрыт (Алматы)", "kk": "Жабылды (Алматы)", "en": "Closed (Almaty)"},
    "sreq_from": {"ru": "От посетителя", "kk": "Келушіден", "en": "From the visitor"},
    "sreq_act": {"ru": "Действие", "kk": "Әрекет", "en": "Action"},
    "sreq_outcome": {"ru": "Итог", "kk": "Нәтиже", "en": "Outcome"},
    "sreq_kind_block": {
        "ru": "заблокировать",
        "kk": "бұғаттау",
        "en": "block",
    },
    "sreq_kind_destroy": {"ru": "уничтожить", "kk": "жою", "en": "destroy"},
    "sreq_kind_copy": {
        "ru": "копия записи",
        "kk": "жазбаның көшірмесі",
        "en": "copy of the record",
    },
    "sreq_overdue_alert": {
        "ru": "Просрочено запросов: {count}. Закон даёт один рабочий день — исполните их первыми.",
        "kk": "Мерзімі өткен сұраулар: {count}. Заң бір жұмыс күнін береді — оларды бірінші "
        "орындаңыз.",
        "en": "Overdue requests: {count}. The law allows one working day; deal with these first.",
    },
    "sreq_overdue": {"ru": "просрочен", "kk": "мерзімі өтті", "en": "overdue"},
    "sreq_late": {"ru": "с опозданием", "kk": "кешігіп", "en": "late"},
    "sreq_consent_link": {
        "ru": "Записи согласия",
        "kk": "Келісім жазбалары",
        "en": "Consent records",
    },
    "sreq_note": {
        "ru": "Примечание (для журнала; при отказе — обязательно)",
        "kk": "Ескертпе (журнал үшін; бас тартқанда міндетті)",
        "en": "Note (for the log; required when declining)",
    },
    "sreq_do_block": {
        "ru": "Заблокировать и закрыть",
        "kk": "Бұғаттау және жабу",
        "en": "Block and close",
    },
    "sreq_do_destroy": {
        "ru": "Уничтожить и закрыть",
        "kk": "Жою және жабу",
        "en": "Destroy and close",
    },
    "sreq_do_copy": {
        "ru": "Копия выдана — закрыть",
        "kk": "Көшірме берілді — жабу",
        "en": "Copy given — close",
    },
    "sreq_do_copy_mail": {
        "ru": "Отправить копию по e-mail и закрыть",
        "kk": "Көшірмені e-mail арқылы жіберу және жабу",
        "en": "E-mail the copy and close",
    },
    "sreq_do_decline": {
        "ru": "Отказать (с причиной)",
        "kk": "Бас тарту (себебімен)",
        "en": "Decline (with reason)",
    },
    "sreq_destroy_admins": {
        "ru": "Уничтожение выполняет администратор.",
        "kk": "Жоюды әкімші орындайды.",
        "en": "Destruction is done by an admin.",
    },
    "sreq_outcome_blocked": {"ru": "заблокировано", "kk": "бұғатталды", "en": "blocked"},
    "sreq_outcome_destroyed": {"ru": "уничтожено", "kk": "жойылды", "en": "destroyed"},
    "sreq_outcome_copy_sent": {"ru": "копия выдана", "kk": "көшірме берілді", "en": "copy given"},
    "sreq_outcome_declined": {"ru": "отказано", "kk": "бас тартылды", "en": "declined"},
    "sreq_closed_blocked": {
        "ru": "Запрос {reference}: согласие заблокировано, запрос закрыт.",
        "kk": "{reference} сұрауы: келісім бұғатталды, сұрау жабылды.",
        "en": "Request {reference}: consent blocked, request closed.",
    },
    "sreq_closed_destroyed": {
        "ru": "Запрос {reference}: данные уничтожены, запрос закрыт.",
        "kk": "{reference} сұрауы: деректер жойылды, сұрау жабылды.",
        "en": "Request {reference}: personal data destroyed, request closed.",
    },
    "sreq_closed_copy_sent": {
        "ru": "Запрос {reference}: копия выдана, запрос закрыт.",
        "kk": "{reference} сұрауы: көшірме берілді, сұрау жабылды.",
        "en": "Request {reference}: copy given, request closed.",
    },
    "sreq_closed_declined": {
        "ru": "Запрос {reference}: отказано, запрос закрыт.",
        "kk": "{reference} сұрауы: бас тартылды, сұрау жабылды.",
        "en": "Request {reference}: declined, request closed.",
    },
    "sreq_copy_mailed_note": {
        "ru": "ссылка на подтверждение отправлена на e-mail посетителя",
        "kk": "растау сілтемесі келушінің e-mail-іне жіберілді",
        "en": "receipt link e-mailed to the visitor",
    },
    "sreq_copy_mail_subject": {
        "ru": "Копия записи о вашем согласии (запрос {reference})",
        "kk": "Келісіміңіз туралы жазбаның көшірмесі ({reference} сұрауы)",
        "en": "A copy of your consent record (request {reference})",
    },
    "sreq_copy_mail_body": {
        "ru": "Вы запросили копию записи о вашем согласии на cookie (запрос {reference}).\n\n"
        "Запись, её история и подписанное доказательство (JSON) — по ссылке:\n{link}\n\n"
        "Не пересылайте эту ссылку: по ней можно отозвать согласие.\n",
        "kk": "Сіз cookie-ге берген келісіміңіз туралы жазбаның көшірмесін сұрадыңыз "
        "({reference} сұрауы).\n\nЖазба, оның тарихы және қолтаңбалы дәлел (JSON) — мына "
        "сілтеме бойынша:\n{link}\n\nБұл сілтемені басқаға жібермеңіз: ол арқылы келісімді кері "
        "қайтаруға болады.\n",
        "en": "You asked for a copy of your cookie consent record (request {reference}).\n\n"
        "The record, its history and the signed proof (JSON) are at:\n{link}\n\n"
        "Do not forward this link: it lets whoever has it withdraw the consent.\n",
    },
    "sreq_error_unknown_request": {
        "ru": "Запрос не найден.",
        "kk": "Сұрау табылмады.",
        "en": "No such request.",
    },
    "sreq_error_already_closed": {
        "ru": "Этот запрос уже закрыт.",
        "kk": "Бұл сұрау жабылып қойған.",
        "en": "This request is already closed.",
    },
    "sreq_error_unknown_action": {
        "ru": "Неизвестное действие.",
        "kk": "Белгісіз әрекет.",
        "en": "Unknown action.",
    },
    "sreq_error_note_required": {
        "ru": "Напишите причину отказа: посетитель имеет право на мотивированный ответ.",
        "kk": "Бас тарту себебін жазыңыз: келушінің дәлелді жауап алуға құқығы бар.",
        "en": "Write why the request is declined: the visitor is owed a reasoned answer.",
    },
    "sreq_error_copy_note": {
        "ru": "У посетителя нет e-mail (или SMTP не настроен): напишите, как выдана копия.",
        "kk": "Келушінің e-mail-і жоқ (немесе SMTP бапталмаған): көшірменің қалай берілгенін "
        "жазыңыз.",
        "en": "No e-mail address (or no SMTP server): write how the copy was given.",
    },
    "sreq_error_mail": {
        "ru": "Письмо не отправлено ({reason}); запрос остаётся открытым.",
        "kk": "Хат жіберілмеді ({reason}); сұрау ашық қалады.",
        "en": "The e-mail was not sent ({reason}); the request stays open.",
    },
    "sreq_error_too_long": {
        "ru": "Примечание слишком длинное (не больше 1000 символов).",
        "kk": "Ескертпе тым ұзын (1000 таңбадан аспауы керек).",
        "en": "The note is too long (1000 characters at most).",
    },
    "sreq_error_control_characters": {
        "ru": "Примечание содержит недопустимые символы.",
        "kk": "Ескертпеде рұқсат етілмеген таңбалар бар.",
        "en": "The note contains characters that are not allowed.",
    },
    "sreq_error_unknown_consent": {
        "ru": "Записей этого согласия больше нет (уничтожены).",
        "kk": "Бұл келісімнің жазбалары енді жоқ (жойылған).",
        "en": "The consent's records no longer exist (destroyed).",
    },
    "sreq_error_reason_required": {
        "ru": "Укажите причину.",
        "kk": "Себебін көрсетіңіз.",
        "en": "Please give a reason.",
    },
    # -- scans ---------------------------------------------------------------------------
    "scans_intro": {
        "ru": "Результаты сканера, загруженные из CI: нарушения и сгенерированная "
        "декларация cookie.",
        "kk": "CI-дан жүктелген сканер нәтижелері: бұзушылықтар және жасалған cookie декларациясы.",
        "en": "Scanner runs uploaded from CI: findings and the cookie declaration they generated.",
    },
    "scans_none": {
        "ru": "Сканирований пока нет. Запустите kelisim scan --upload.",
        "kk": "Әзірге сканерлеулер жоқ. kelisim scan --upload іске қосыңыз.",
        "en": "No scans yet. Run kelisim scan --upload.",
    },
    "scans_uploaded": {"ru": "Загружено (UTC)", "kk": "Жүктелді (UTC)", "en": "Uploaded (UTC)"},
    "scans_target": {"ru": "Адрес", "kk": "Мекенжай", "en": "Target"},
    "scans_findings": {"ru": "Нарушения", "kk": "Бұзушылықтар", "en": "Findings"},
    "scans_result": {"ru": "Итог", "kk": "Нәтиже", "en": "Result"},
    "scans_clean": {"ru": "чисто", "kk": "таза", "en": "clean"},
    "scans_failed": {"ru": "есть нарушения", "kk": "бұзушылықтар бар", "en": "failed"},
    "scans_by": {"ru": "Разбивка", "kk": "Бөлу", "en": "Breakdown"},
    "scans_facet_rule": {"ru": "Правило", "kk": "Ереже", "en": "Rule"},
    "scans_facet_severity": {"ru": "Важность", "kk": "Маңыздылығы", "en": "Severity"},
    "scans_facet_state": {"ru": "Состояние согласия", "kk": "Келісім күйі", "en": "Consent state"},
    "scans_facet_vendor": {"ru": "Сервис", "kk": "Сервис", "en": "Vendor"},
    "scans_clear_filters": {
        "ru": "Сбросить фильтры",
        "kk": "Сүзгілерді тазалау",
        "en": "Clear filters",
    },
    "scans_detail": {"ru": "Подробности", "kk": "Толығырақ", "en": "Details"},
    "scans_waived": {"ru": "исключение", "kk": "ерекшелік", "en": "waived"},
    "scans_no_findings": {"ru": "Нарушений нет.", "kk": "Бұзушылықтар жоқ.", "en": "No findings."},
    "scans_declaration": {
        "ru": "Декларация cookie (сгенерирована сканером)",
        "kk": "Cookie декларациясы (сканер жасаған)",
        "en": "Cookie declaration (generated by the scan)",
    },
    "scans_no_declaration": {
        "ru": "Сканер не нашёл cookie и хранилищ.",
        "kk": "Сканер cookie мен қоймаларды таппады.",
        "en": "The scan found no cookies or storage.",
    },
    "scans_name": {"ru": "Имя", "kk": "Атауы", "en": "Name"},
    "scans_type": {"ru": "Тип", "kk": "Түрі", "en": "Type"},
    "scans_purposes": {"ru": "Цели", "kk": "Мақсаттар", "en": "Purposes"},
    "scans_party": {"ru": "Сторона", "kk": "Тарап", "en": "Party"},
    "scans_domain": {"ru": "Домен", "kk": "Домен", "en": "Domain"},
    "scans_lifetime": {"ru": "Срок хранения", "kk": "Сақтау мерзімі", "en": "Lifetime"},
}


def text(key: str, language: str, **values: object) -> str:
    """The string for `key` in `language` (Russian when that language lacks it), formatted."""
    entry = TEXTS[key]
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    return template.format(**values) if values else template


def pick_language(requested: str | None) -> str | None:
    return requested if requested in LANGUAGES else None
